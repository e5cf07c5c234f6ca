import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from filters.models import ContentFilter
from guardsite.models import NAME_VALIDATOR, Resource


def validate_upstream_url(value: str) -> None:
    """http(s) with a host; single-label hosts (``http://vllm:8000/v1``) are common in clusters."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "Enter an http:// or https:// URL with a host, e.g. http://vllm:8000/v1"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise ValidationError("The URL's port is not a number from 0 to 65535.") from exc


class Deployment(models.Model):
    """A model deployment of a resource: where the gateway sends calls, and which filter applies."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="deployments")
    name = models.CharField(max_length=64, validators=[NAME_VALIDATOR])
    model_name = models.CharField(max_length=128)
    upstream_url = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_upstream_url],
        help_text="Base URL of an OpenAI-compatible server, e.g. http://vllm:8000/v1",
    )
    upstream_model = models.CharField(
        max_length=128, blank=True, help_text="Model name sent upstream; the model name if empty."
    )
    upstream_api_key = models.CharField(max_length=512, blank=True)
    upstream_timeout_seconds = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(3600)]
    )
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
