from django.urls import path

from . import views

app_name = "deployments"
urlpatterns = [
    path("", views.deployment_list, name="list"),
    path("new/", views.deployment_create, name="create"),
    path("<uuid:deployment_id>/", views.deployment_edit, name="edit"),
    path("<uuid:deployment_id>/assign/", views.deployment_assign, name="assign"),
]
