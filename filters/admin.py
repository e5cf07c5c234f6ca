from django.contrib import admin

from guardsite.admin_base import ReadOnlyAdmin

from .models import ContentFilter, ContentFilterVersion, FilterBlocklist, ProtectedWork


class AttachmentInline(admin.TabularInline):
    model = FilterBlocklist
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ContentFilter)
class ContentFilterAdmin(ReadOnlyAdmin):
    list_display = ["name", "resource", "version", "is_builtin", "updated_at"]
    list_filter = ["is_builtin"]
    search_fields = ["name", "resource__name"]
    inlines = [AttachmentInline]


@admin.register(ContentFilterVersion)
class ContentFilterVersionAdmin(ReadOnlyAdmin):
    list_display = ["content_filter", "number", "note", "created_by", "created_at"]
    search_fields = ["content_filter__name"]


@admin.register(FilterBlocklist)
class FilterBlocklistAdmin(ReadOnlyAdmin):
    list_display = ["content_filter", "blocklist", "direction", "blocking"]
    list_filter = ["direction", "blocking"]


@admin.register(ProtectedWork)
class ProtectedWorkAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "resource", "license", "created_at"]
    list_filter = ["kind"]
    search_fields = ["title", "resource__name"]
