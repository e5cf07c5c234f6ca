from django.urls import path

from . import playground

app_name = "playground"
urlpatterns = [
    path("", playground.playground, name="index"),
    path("feedback/", playground.feedback_create, name="feedback"),
    path("feedback/list/", playground.feedback_list, name="feedback-list"),
    path("feedback/export.<str:fmt>", playground.feedback_export, name="feedback-export"),
]
