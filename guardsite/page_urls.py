from django.urls import path

from . import page_views

app_name = "resources"
urlpatterns = [
    path("<uuid:resource_id>/", page_views.overview, name="overview"),
    path("<uuid:resource_id>/activity/", page_views.activity, name="activity"),
    path("<uuid:resource_id>/members/", page_views.members, name="members"),
    path("<uuid:resource_id>/members/add/", page_views.member_add, name="add_member"),
    path(
        "<uuid:resource_id>/members/<int:membership_id>/",
        page_views.member_change,
        name="change_member",
    ),
]
