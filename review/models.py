"""Abuse monitoring, stage one: every runtime call's content classification is recorded here.

Events arrive through the broker (or the outbox when the broker is down) and are classified in
batches by Celery workers. Later stages (flags, cases, human review) build on these rows.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

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


# --- Abuse monitoring stages two to four: flags, cases, review, just-in-time access, action. ---
# Content never lives on these models: it stays on ClassificationEvent (purged after the retention
# period) and is read only through review.access.content_for, which checks the grant and audits.


class ReviewerProfile(models.Model):
    """What only staff say about a reviewer: where they work, whether they may break glass."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    located_in_eea = models.BooleanField("located in the EEA", default=False)
    can_break_glass = models.BooleanField(
        default=False, help_text="May open emergency access without an approval (alerted)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reviewer profile of {self.user}"


class AbuseCase(models.Model):
    """A resource whose abuse score crossed the threshold; its score components explain why."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="abuse_cases")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    score = models.FloatField()
    # {"frequency", "severity", "intentionality", "trend_multiplier", ...}: docs/abuse-score.md.
    components = models.JSONField(default=dict)
    threshold = models.FloatField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.CharField(max_length=500, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            # At most one open case per resource: new flags join it instead of opening another.
            models.UniqueConstraint(
                fields=["resource"],
                condition=models.Q(status="open"),
                name="one_open_case_per_resource",
            )
        ]

    def __str__(self) -> str:
        return f"case {self.id} on {self.resource_id} ({self.status})"


class FlaggedItem(models.Model):
    """One flagged classification event awaiting or after review. Metadata only, never content."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        CORRECTED = "corrected", "Corrected"
        DISMISSED = "dismissed", "Dismissed"

    class Stage(models.TextChoices):
        AUTOMATED = "automated", "Awaiting automated review"
        HUMAN = "human", "In the human review queue"
        DONE = "done", "Reviewed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="flagged_items")
    event = models.OneToOneField(
        ClassificationEvent, on_delete=models.CASCADE, related_name="flagged_item"
    )
    case = models.ForeignKey(
        AbuseCase, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    direction = models.CharField(max_length=16, choices=ClassificationEvent.Direction.choices)
    # The worst category as classified (or "jailbreak", "indirect_attack", "blocklist", ...).
    category = models.CharField(max_length=32)
    severity = models.PositiveSmallIntegerField()  # 0..7
    labels = models.JSONField(default=dict)  # every category at/above its threshold: severity
    attack_detected = models.BooleanField(default=False)
    priority = models.FloatField(default=0.0)  # the resource's abuse score when flagged
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.AUTOMATED)
    # Bumped by every claim and transition; clients may send it to detect stale pages (409).
    version = models.PositiveIntegerField(default=1)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    automated_verdict = models.CharField(max_length=16, blank=True)  # "abusive" / "not_abusive"
    automated_confidence = models.FloatField(null=True, blank=True)
    automated_reviewer = models.CharField(max_length=64, blank=True)
    reviewed_category = models.CharField(max_length=32, blank=True)
    reviewed_severity = models.PositiveSmallIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    flag_count = models.PositiveIntegerField(default=1)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The human queue and claim-next: "status = 'pending' AND stage = 'human'
            # ORDER BY priority DESC, severity DESC, created_at, id" (optionally per resource).
            models.Index(
                models.F("priority").desc(),
                models.F("severity").desc(),
                "created_at",
                "id",
                condition=models.Q(status="pending", stage="human"),
                name="human_queue",
            ),
            models.Index(
                "resource",
                models.F("priority").desc(),
                models.F("severity").desc(),
                "created_at",
                "id",
                condition=models.Q(status="pending", stage="human"),
                name="human_queue_by_resource",
            ),
            # Scoring and dashboards: "resource = X AND created_at >= window start".
            models.Index(fields=["resource", "created_at"], name="flags_by_resource"),
        ]

    def __str__(self) -> str:
        return f"flag {self.id} ({self.category}/{self.severity}, {self.status})"


class ItemHistory(models.Model):
    """Append-only: one row per transition of a flagged item, written in the same transaction."""

    item = models.ForeignKey(FlaggedItem, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=32)
    old_status = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=16, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "item history"

    def __str__(self) -> str:
        return f"{self.action} {self.old_status}->{self.new_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Item history is append-only.")
        super().save(*args, **kwargs)


class ItemNote(models.Model):
    item = models.ForeignKey(FlaggedItem, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on {self.item_id}"


class AccessRequest(models.Model):
    """A just-in-time request for content; once approved it is the grant (until expires_at)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        EXPIRED = "expired", "Expired unanswered"
        REVOKED = "revoked", "Revoked"
        CANCELLED = "cancelled", "Cancelled"

    class Scope(models.TextChoices):
        QUEUE = "queue", "The resource's review queue"
        RESOURCE = "resource", "The resource"
        CASE = "case", "One case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=16, choices=Scope.choices)
    case = models.ForeignKey(
        AbuseCase, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    justification = models.CharField(max_length=1000)
    requested_minutes = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    extends = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    request_expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    granted_minutes = models.PositiveIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    break_glass = models.BooleanField(default=False)
    # Break-glass use is reviewed afterwards by a review manager other than the user.
    post_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    post_reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # content_for: "requester = U AND resource = R AND status = 'approved'
            # AND expires_at > now" on every content read.
            models.Index(
                fields=["requester", "resource", "expires_at"],
                condition=models.Q(status="approved"),
                name="active_grants",
            ),
            # The expiry sweep: "status = 'pending' AND request_expires_at < now".
            models.Index(
                fields=["request_expires_at"],
                condition=models.Q(status="pending"),
                name="pending_access_requests",
            ),
        ]

    def __str__(self) -> str:
        return f"access request {self.id} ({self.status})"


class AuditLogEntry(models.Model):
    """Append-only: every access request and grant change, content view and review decision."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_repr = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    resource = models.ForeignKey(
        Resource, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    grant = models.ForeignKey(
        AccessRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit log entries"
        indexes = [models.Index(fields=["resource", "-created_at"], name="audit_by_resource")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type} {self.target_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The audit log is append-only.")


class EnforcementAction(models.Model):
    """What happened to a resource after confirmed abuse: a notice with a deadline or a sanction."""

    class Kind(models.TextChoices):
        NOTICE = "notice", "Notice with remediation window"
        SUSPENSION = "suspension", "Suspension"
        TERMINATION = "termination", "Termination"

    class Status(models.TextChoices):
        AWAITING_REMEDIATION = "awaiting_remediation", "Awaiting remediation"
        RESOLVED = "resolved", "Resolved"
        APPLIED = "applied", "Applied"
        ESCALATED = "escalated", "Escalated to suspension"
        REVERTED = "reverted", "Reverted on appeal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="enforcement_actions"
    )
    case = models.ForeignKey(
        AbuseCase, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=24, choices=Status.choices)
    reason = models.CharField(max_length=500)
    severe = models.BooleanField(default=False)
    recurring = models.BooleanField(default=False)
    remediation_deadline = models.DateTimeField(null=True, blank=True)
    # The resource's status before a sanction, restored when an appeal is approved.
    previous_resource_status = models.CharField(max_length=16, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The deadline sweep: "status = 'awaiting_remediation' AND remediation_deadline < now".
            models.Index(
                fields=["remediation_deadline"],
                condition=models.Q(status="awaiting_remediation"),
                name="remediation_deadlines",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.resource_id} ({self.status})"


class OwnerReply(models.Model):
    action = models.ForeignKey(EnforcementAction, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(max_length=10000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "owner replies"

    def __str__(self) -> str:
        return f"reply to {self.action_id}"


class Appeal(models.Model):
    """One appeal per enforcement action (the one-to-one makes a second one impossible)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    action = models.OneToOneField(
        EnforcementAction, on_delete=models.CASCADE, related_name="appeal"
    )
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(max_length=10000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"appeal of {self.action_id} ({self.status})"


class FilterFeedback(models.Model):
    """A member's report that the filter was wrong about a text, kept as a labelled example.

    Reported from the playground: the text, the filter that judged it and what it decided, and the
    reporter's label. Staff and the resource's owners list and export these for retraining.
    """

    class Kind(models.TextChoices):
        WRONGLY_BLOCKED = "wrongly_blocked", "Wrongly blocked"
        SHOULD_HAVE_BLOCKED = "should_have_blocked", "Should have been blocked"

    class Direction(models.TextChoices):
        PROMPT = "prompt", "Prompt"
        COMPLETION = "completion", "Completion"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="filter_feedback")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices, default="prompt")
    text = models.TextField()
    documents = models.JSONField(default=list, blank=True)
    # The category the reporter means (e.g. "violence", "jailbreak"); blank when unsure.
    category = models.CharField(max_length=32, blank=True)
    comment = models.TextField(blank=True)
    filter_name = models.CharField(max_length=64)
    filter_config = models.JSONField()
    # The content_filter_results the filter produced, and whether it filtered.
    annotations = models.JSONField(default=dict, blank=True)
    filtered = models.BooleanField(null=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The feedback list and exports: "WHERE resource_id = ? ORDER BY created_at DESC".
            models.Index(fields=["resource", "-created_at"], name="feedback_by_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} feedback {self.id}"
