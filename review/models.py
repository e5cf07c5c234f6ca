"""Abuse monitoring, stage one: every runtime call's content classification is recorded here.

Events arrive through the broker (or the outbox when the broker is down) and are classified in
batches by Celery workers. Later stages (flags, cases, human review) build on these rows.
"""

import uuid

from django.db import models

from deployments.models import Deployment
from guardsite.models import Resource


class ClassificationEvent(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLASSIFIED = "classified", "Classified"
        FAILED = "failed", "Failed"

    class Direction(models.TextChoices):
        PROMPT = "prompt", "Prompt"
        COMPLETION = "completion", "Completion"

    # Chosen by the producer, so that a redelivered or re-sent event is stored once.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="classification_events"
    )
    deployment = models.ForeignKey(
        Deployment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    direction = models.CharField(max_length=16, choices=Direction.choices)
    # None when the resource has modified abuse monitoring: signals only, never content.
    content = models.TextField(null=True, blank=True)  # noqa: DJ001 - None means "not stored"
    documents = models.JSONField(null=True, blank=True)
    # The filter configuration that applied, as docs/filter-config.md describes it.
    filter_config = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    analysis = models.JSONField(null=True, blank=True)
    decision = models.JSONField(null=True, blank=True)
    filtered = models.BooleanField(null=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    classified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Workers and the outbox sweeper look for "status = 'pending' ORDER BY created_at".
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending"),
                name="pending_events",
            ),
            models.Index(fields=["resource", "-created_at"], name="events_by_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} event {self.id}"


class EventOutbox(models.Model):
    """Events the runtime could not hand to the broker (Redis down); a periodic task resends them.

    Nothing is lost while the broker is away, and the row is deleted only after the broker
    accepted the event, whose id makes the final insert idempotent.
    """

    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "event outbox"

    def __str__(self) -> str:
        return f"outbox {self.pk}"
