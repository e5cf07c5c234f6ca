"""Tenancy: resources (customer accounts), who belongs to them, and what changed in them."""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

NAME_VALIDATOR = RegexValidator(
    # \Z, not $: "$" also matches before a final newline, which would let "name\n" through.
    r"\A[0-9A-Za-z._~-]+\Z",
    "Use only letters, digits, '.', '_', '~' and '-'.",
)


class Resource(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        TERMINATED = "terminated", "Terminated"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=64, unique=True, validators=[NAME_VALIDATOR])
    region = models.CharField(max_length=64, default="westeurope")
    in_eea = models.BooleanField("in the EEA", default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    modified_content_filters_approved = models.BooleanField(
        default=False,
        help_text="Approved to turn filters off, use annotate only and asynchronous streaming.",
    )
    modified_abuse_monitoring_approved = models.BooleanField(
        default=False,
        help_text="Approved for modified abuse monitoring: no content stored, no human review.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        FILTER_EDITOR = "filter_editor", "Filter editor"
        REVIEWER = "reviewer", "Reviewer"
        REVIEW_MANAGER = "review_manager", "Review manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "resource"], name="one_membership_per_user")
        ]
        ordering = ["resource__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} of {self.resource}"


class ActivityEntry(models.Model):
    """Append-only log of configuration changes: who, what, when, before and after."""

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="activity", null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activity entries"
        # The activity page lists one resource's entries newest first.
        indexes = [models.Index(fields=["resource", "-created_at"], name="activity_by_resource")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_repr}"


class ApiKey(models.Model):
    """One of a resource's two runtime API keys. Only a hash is stored; the key is shown once."""

    class Slot(models.IntegerChoices):
        KEY1 = 1, "key1"
        KEY2 = 2, "key2"

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="api_keys")
    slot = models.PositiveSmallIntegerField(choices=Slot.choices)
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters, so people can tell keys apart without the secret.
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource__name", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "slot"], name="one_key_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.resource} key{self.slot} ({self.prefix}…)"
