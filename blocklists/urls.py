from django.urls import path

from . import views

app_name = "blocklists"
urlpatterns = [
    path("", views.blocklist_list, name="list"),
    path("new/", views.blocklist_create, name="create"),
    path("<uuid:blocklist_id>/", views.blocklist_detail, name="detail"),
    path("<uuid:blocklist_id>/edit/", views.blocklist_edit, name="edit"),
    path("<uuid:blocklist_id>/items/add/", views.item_add, name="add_item"),
    path("<uuid:blocklist_id>/items/delete/", views.items_delete, name="delete_items"),
    path("<uuid:blocklist_id>/import/", views.bulk_import, name="import"),
    path("<uuid:blocklist_id>/export.csv", views.blocklist_export, name="export"),
    path("<uuid:blocklist_id>/delete/", views.blocklist_delete, name="delete"),
]
