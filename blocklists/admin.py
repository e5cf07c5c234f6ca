from django.contrib import admin

from guardsite.admin_base import ReadOnlyAdmin

from .models import Blocklist, BlocklistItem


@admin.register(Blocklist)
class BlocklistAdmin(ReadOnlyAdmin):
    list_display = ["name", "resource", "is_builtin", "version", "updated_at"]
    search_fields = ["name", "resource__name"]


@admin.register(BlocklistItem)
class BlocklistItemAdmin(ReadOnlyAdmin):
    list_display = ["text", "is_regex", "blocklist", "created_at"]
    search_fields = ["text", "blocklist__name"]
    list_select_related = ["blocklist"]
