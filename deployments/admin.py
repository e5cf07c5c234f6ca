from django.contrib import admin

from guardsite.admin_base import ReadOnlyAdmin

from .models import Deployment


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ["name", "resource", "model_name", "content_filter", "updated_at"]
    search_fields = ["name", "resource__name", "model_name"]
    exclude = ["upstream_api_key"]
