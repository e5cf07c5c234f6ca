from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Staff can inspect everything; changes go through the app so that versions, limits and the
    activity log are always written (the admin would bypass the action functions)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
