import uuid

from django.conf import settings
from django.db import models

from filters.models import ContentFilter
from guardsite.models import NAME_VALIDATOR, Resource


class Deployment(models.Model):
    """A model deployment of a resource: where the gateway sends calls, and which filter applies."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="deployments")
    name = models.CharField(max_length=64, validators=[NAME_VALIDATOR])
    model_name = models.CharField(max_length=128)
    upstream_url = models.URLField(
        blank=True, help_text="Base URL of an OpenAI-compatible server, e.g. http://host:8000/v1"
    )
    upstream_model = models.CharField(
        max_length=128, blank=True, help_text="Model name sent upstream; the model name if empty."
    )
    upstream_api_key = models.CharField(max_length=512, blank=True)
    upstream_timeout_seconds = models.PositiveIntegerField(default=60)
    # PROTECT: a filter assigned to a deployment cannot be deleted. Null means the built-in default.
    content_filter = models.ForeignKey(
        ContentFilter,
        on_delete=models.PROTECT,
        related_name="deployments",
        null=True,
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "name"], name="deployment_name_per_resource"
            )
        ]

    def __str__(self) -> str:
        return self.name
