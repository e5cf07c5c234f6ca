"""REST shapes of review. Item, case and audit shapes carry metadata only: no serializer here has
a content field except ItemContentSerializer, which is filled from review.access.content_for."""

from rest_framework import serializers

from guardsite.serializers import StrictSerializer

from .actions import BULK_DECISIONS, REVIEW_CATEGORIES
from .models import (
    AbuseCase,
    AccessRequest,
    Appeal,
    AuditLogEntry,
    EnforcementAction,
    FlaggedItem,
    ItemHistory,
    ItemNote,
    OwnerReply,
)


def _username(field: str) -> serializers.CharField:
    return serializers.CharField(source=f"{field}.username", read_only=True, default=None)


class FlaggedItemSerializer(serializers.ModelSerializer):
    resource_name = serializers.CharField(source="resource.name", read_only=True)
    claimed_by = _username("claimed_by")
    decided_by = _username("decided_by")

    class Meta:
        model = FlaggedItem
        fields = [
            "id",
            "resource",
            "resource_name",
            "case",
            "event",
            "direction",
            "category",
            "severity",
            "labels",
            "attack_detected",
            "priority",
            "status",
            "stage",
            "version",
            "claimed_by",
            "claim_expires_at",
            "automated_verdict",
            "automated_confidence",
            "automated_reviewer",
            "reviewed_category",
            "reviewed_severity",
            "decided_by",
            "decision_reason",
            "decided_at",
            "flag_count",
            "escalated_at",
            "created_at",
        ]
        read_only_fields = fields


class ItemContentSerializer(serializers.Serializer):
    """Shown only through content_for: an active grant, audited."""

    item = serializers.UUIDField()
    text = serializers.CharField(allow_null=True)
    documents = serializers.ListField(child=serializers.CharField(), allow_null=True)
    grant = serializers.UUIDField()
    purged = serializers.BooleanField()


class ClaimNextSerializer(StrictSerializer):
    resource = serializers.UUIDField(required=False, allow_null=True)


class DecisionSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, min_value=1)


class DismissSerializer(DecisionSerializer):
    reason = serializers.CharField(max_length=500)


class CorrectionSerializer(DecisionSerializer):
    category = serializers.ChoiceField(choices=REVIEW_CATEGORIES)
    severity = serializers.IntegerField(min_value=0, max_value=7)


class BulkDecisionSerializer(StrictSerializer):
    items = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=500)
    decision = serializers.ChoiceField(choices=BULK_DECISIONS)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=REVIEW_CATEGORIES, required=False)
    severity = serializers.IntegerField(min_value=0, max_value=7, required=False)


class BulkResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.UUIDField())
    skipped = serializers.ListField(child=serializers.UUIDField())


class NoteSerializer(serializers.ModelSerializer):
    author = _username("author")

    class Meta:
        model = ItemNote
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class ItemHistorySerializer(serializers.ModelSerializer):
    actor = _username("actor")

    class Meta:
        model = ItemHistory
        fields = [
            "id",
            "actor",
            "action",
            "old_status",
            "new_status",
            "reason",
            "data",
            "created_at",
        ]
        read_only_fields = fields


class AbuseCaseSerializer(serializers.ModelSerializer):
    resource_name = serializers.CharField(source="resource.name", read_only=True)
    decided_by = _username("decided_by")

    class Meta:
        model = AbuseCase
        fields = [
            "id",
            "resource",
            "resource_name",
            "status",
            "score",
            "components",
            "threshold",
            "decided_by",
            "decision_reason",
            "opened_at",
            "decided_at",
        ]
        read_only_fields = fields


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RequiredReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500)


class AccessRequestSerializer(serializers.ModelSerializer):
    requester = _username("requester")
    decided_by = _username("decided_by")
    revoked_by = _username("revoked_by")
    post_reviewed_by = _username("post_reviewed_by")
    active = serializers.SerializerMethodField()

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "requester",
            "resource",
            "scope",
            "case",
            "justification",
            "requested_minutes",
            "status",
            "active",
            "extends",
            "request_expires_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "granted_minutes",
            "starts_at",
            "expires_at",
            "revoked_by",
            "revoked_at",
            "break_glass",
            "post_reviewed_by",
            "post_reviewed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_active(self, obj: AccessRequest) -> bool:
        from django.utils import timezone

        now = timezone.now()
        return bool(
            obj.status == AccessRequest.Status.APPROVED
            and obj.starts_at
            and obj.expires_at
            and obj.starts_at <= now < obj.expires_at
        )


class AccessRequestCreateSerializer(StrictSerializer):
    resource = serializers.UUIDField()
    scope = serializers.ChoiceField(choices=AccessRequest.Scope.choices)
    case = serializers.UUIDField(required=False, allow_null=True)
    justification = serializers.CharField(max_length=1000)
    duration_minutes = serializers.IntegerField(min_value=1)


class BreakGlassSerializer(StrictSerializer):
    resource = serializers.UUIDField()
    scope = serializers.ChoiceField(choices=AccessRequest.Scope.choices)
    case = serializers.UUIDField(required=False, allow_null=True)
    justification = serializers.CharField(max_length=1000)


class ApproveSerializer(StrictSerializer):
    duration_minutes = serializers.IntegerField(min_value=1, required=False)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ExtendSerializer(StrictSerializer):
    justification = serializers.CharField(max_length=1000)
    duration_minutes = serializers.IntegerField(min_value=1)


class NotesSerializer(StrictSerializer):
    notes = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class AuditLogEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_repr", read_only=True)

    class Meta:
        model = AuditLogEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "action",
            "resource",
            "target_type",
            "target_id",
            "grant",
            "client_ip",
            "details",
        ]
        read_only_fields = fields


class OwnerReplySerializer(serializers.ModelSerializer):
    author = _username("author")

    class Meta:
        model = OwnerReply
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class AppealSerializer(serializers.ModelSerializer):
    appellant = _username("appellant")
    decided_by = _username("decided_by")

    class Meta:
        model = Appeal
        fields = [
            "id",
            "action",
            "appellant",
            "text",
            "status",
            "decided_by",
            "decision_reason",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class EnforcementActionSerializer(serializers.ModelSerializer):
    resource_name = serializers.CharField(source="resource.name", read_only=True)
    replies = OwnerReplySerializer(many=True, read_only=True)
    appeal = AppealSerializer(read_only=True, allow_null=True)

    class Meta:
        model = EnforcementAction
        fields = [
            "id",
            "resource",
            "resource_name",
            "case",
            "kind",
            "status",
            "reason",
            "severe",
            "recurring",
            "remediation_deadline",
            "previous_resource_status",
            "created_at",
            "updated_at",
            "replies",
            "appeal",
        ]
        read_only_fields = fields


class TextSerializer(StrictSerializer):
    text = serializers.CharField(max_length=10000)


class SanctionSerializer(StrictSerializer):
    resource = serializers.UUIDField()
    kind = serializers.ChoiceField(
        choices=[EnforcementAction.Kind.SUSPENSION, EnforcementAction.Kind.TERMINATION]
    )
    reason = serializers.CharField(max_length=500)
    case = serializers.UUIDField(required=False, allow_null=True)


class AppealDecisionSerializer(ReasonSerializer):
    pass
