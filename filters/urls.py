from django.urls import path

from . import protected_views, views

app_name = "filters"
urlpatterns = [
    path("", views.filter_list, name="list"),
    path("new/", views.wizard_start, name="create"),
    path("new/<slug:step>/", views.wizard, name="create_step"),
    path("import/", views.filter_import, name="import"),
    path("protected/", protected_views.protected_list, name="protected"),
    path("protected/add/", protected_views.protected_add, name="add_protected"),
    path("protected/upload/", protected_views.protected_upload, name="upload_protected"),
    path("protected/<uuid:work_id>/", protected_views.protected_detail, name="protected_detail"),
    path(
        "protected/<uuid:work_id>/delete/",
        protected_views.protected_delete,
        name="delete_protected",
    ),
    path("<uuid:filter_id>/", views.filter_detail, name="detail"),
    path("<uuid:filter_id>/edit/", views.wizard_start, name="edit"),
    path("<uuid:filter_id>/edit/<slug:step>/", views.wizard, name="edit_step"),
    path("<uuid:filter_id>/export/", views.filter_export, name="export"),
    path("<uuid:filter_id>/delete/", views.filter_delete, name="delete"),
    path(
        "<uuid:filter_id>/versions/<int:number>/restore/",
        views.filter_restore,
        name="restore",
    ),
]
