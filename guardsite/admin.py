from django.contrib import admin
from django.core.exceptions import ValidationError

from . import actions
from .admin_base import ReadOnlyAdmin
from .models import ActivityEntry, ApiKey, Membership, Resource


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "region",
        "in_eea",
        "status",
        "modified_content_filters_approved",
        "modified_abuse_monitoring_approved",
    ]
    list_filter = ["status", "in_eea", "modified_content_filters_approved"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        if not change:
            created = actions.create_resource(
                name=obj.name, region=obj.region, in_eea=obj.in_eea, acting_user=request.user
            )
            obj.pk = created.pk
            changes = {field: form.cleaned_data[field] for field in actions.APPROVAL_FIELDS}
            changes["status"] = form.cleaned_data["status"]
            actions.update_resource(created, changes, acting_user=request.user)
            return
        try:
            actions.update_resource(
                obj,
                {field: form.cleaned_data[field] for field in form.changed_data},
                acting_user=request.user,
            )
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), level="error")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "resource", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "resource__name"]


@admin.register(ActivityEntry)
class ActivityEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "resource", "actor", "action", "target_repr"]
    list_filter = ["action"]
    search_fields = ["target_repr", "resource__name"]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    # Only the hash is stored and only the prefix is shown; rotate keys with `manage.py resource`.
    list_display = ["resource", "slot", "prefix", "created_at"]
    exclude = ["key_hash"]
