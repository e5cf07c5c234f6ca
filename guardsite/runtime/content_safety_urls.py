"""Routes of the Content Safety data plane, mounted at /contentsafety/ (compat-api.md section 1).

The action routes (``{name}:addOrUpdateBlocklistItems``) come before the plain blocklist route,
whose name pattern would otherwise swallow the ``:action`` suffix.
"""

from django.urls import path, re_path

from . import content_safety as views

urlpatterns = [
    path("text:analyze", views.analyze_text, name="cs-analyze-text"),
    path("text:shieldPrompt", views.shield_prompt, name="cs-shield-prompt"),
    path(
        "text:detectProtectedMaterial",
        views.detect_protected_material,
        name="cs-detect-protected-material",
    ),
    path(
        "text:detectProtectedMaterialForCode",
        views.detect_protected_material_for_code,
        name="cs-detect-protected-material-code",
    ),
    path("text/blocklists", views.list_blocklists, name="cs-blocklists"),
    re_path(
        r"^text/blocklists/(?P<name>[^/:]+):addOrUpdateBlocklistItems$",
        views.add_or_update_items,
        name="cs-blocklist-add-items",
    ),
    re_path(
        r"^text/blocklists/(?P<name>[^/:]+):removeBlocklistItems$",
        views.remove_blocklist_items,
        name="cs-blocklist-remove-items",
    ),
    re_path(
        r"^text/blocklists/(?P<name>[^/]+)/blocklistItems$",
        views.list_blocklist_items,
        name="cs-blocklist-items",
    ),
    re_path(
        r"^text/blocklists/(?P<name>[^/]+)/blocklistItems/(?P<item_id>[^/]+)$",
        views.blocklist_item,
        name="cs-blocklist-item",
    ),
    re_path(r"^text/blocklists/(?P<name>[^/]+)$", views.blocklist, name="cs-blocklist"),
]
