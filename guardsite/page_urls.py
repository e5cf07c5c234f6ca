from django.urls import path

from . import page_views

app_name = "resources"
urlpatterns = [
    path("<uuid:resource_id>/", page_views.overview, name="overview"),
    path("<uuid:resource_id>/activity/", page_views.activity, name="activity"),
]
