import uuid

from django.conf import settings
from django.db import models

from guardsite.models import NAME_VALIDATOR, Resource

MAX_ITEMS_PER_RESOURCE = 10_000
MAX_ITEM_TEXT = 128
MAX_NAME = 64
MAX_DESCRIPTION = 1024


class Blocklist(models.Model):
    """A named list of terms and patterns. Built-in lists have no resource and are read-only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="blocklists", null=True, blank=True
    )
    name = models.CharField(max_length=MAX_NAME, validators=[NAME_VALIDATOR])
    description = models.CharField(max_length=MAX_DESCRIPTION, blank=True)
    is_builtin = models.BooleanField(default=False)
    # Bumped by every change to the list or its items; compiled matchers are cached per version.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "name"], name="blocklist_name_per_resource"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(resource__isnull=True),
                name="builtin_blocklist_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BlocklistItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    blocklist = models.ForeignKey(Blocklist, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(max_length=MAX_ITEM_TEXT)
    is_regex = models.BooleanField(default=False)
    description = models.CharField(max_length=MAX_DESCRIPTION, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["blocklist", "text", "is_regex"], name="unique_item_per_blocklist"
            )
        ]

    def __str__(self) -> str:
        return f"/{self.text}/" if self.is_regex else self.text
