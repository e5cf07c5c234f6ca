"""Action functions of review: claims, decisions, notes, bulk changes, escalation, cases,
enforcement (notices, suspension, termination), owner replies, appeals and retention.

Each takes ``acting_user`` (None for the automated reviewer and scheduled tasks), changes state
with a conditional update whose row count it checks (0 means someone else got there first: a 409
conflict), writes the item history and the audit row in the same transaction, and sends email on
commit. Content is never read here.
"""

import functools
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from guardsite.access import AnyUser, is_staff, role_of
from guardsite.actions import set_resource_status
from guardsite.engine.types import CATEGORIES, MAX_SEVERITY
from guardsite.models import Membership, Resource

from . import notifications
from .access import (
    active_grant_for,
    audit,
    conflict,
    human_review_allowed,
    is_review_manager,
    require_review_manager,
    require_reviewer,
    residency_allows,
    transition,
)
from .models import (
    AbuseCase,
    Appeal,
    ClassificationEvent,
    EnforcementAction,
    FlaggedItem,
    ItemHistory,
    ItemNote,
    OwnerReply,
)

logger = logging.getLogger(__name__)

Status = FlaggedItem.Status
Stage = FlaggedItem.Stage
DECIDED = (Status.CONFIRMED, Status.CORRECTED)
# Labels a reviewer may give: the harm categories and the attack/other flags.
REVIEW_CATEGORIES = (
    *CATEGORIES,
    "jailbreak",
    "indirect_attack",
    "protected_material_text",
    "protected_material_code",
    "custom_blocklists",
    "profanity",
)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _actor(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _history(item: FlaggedItem, *, actor: Any, action: str, old: str, new: str, **extra: Any):
    return ItemHistory.objects.create(
        item=item,
        actor=_actor(actor),
        action=action,
        old_status=old,
        new_status=new,
        reason=extra.pop("reason", "")[:500],
        data=extra or None,
    )


# --- The human queue -----------------------------------------------------------------------


def reviewable_resources(user: AnyUser) -> QuerySet[Resource]:
    """Resources whose human queue this user works: eligible role, residency, human review on."""
    resources = Resource.objects.filter(modified_abuse_monitoring_approved=False)
    if not is_staff(user):
        resources = resources.filter(
            memberships__user=user,
            memberships__role__in=[Membership.Role.REVIEWER, Membership.Role.REVIEW_MANAGER],
        )
    if not residency_allows(user, Resource(in_eea=True)):
        resources = resources.filter(in_eea=False)
    return resources


def queue_order(queryset: QuerySet[FlaggedItem]) -> QuerySet[FlaggedItem]:
    """Priority (abuse score, then severity), then oldest first: the partial index human_queue."""
    return queryset.order_by("-priority", "-severity", "created_at", "id")


def human_queue(user: AnyUser, resource: Resource | None = None) -> QuerySet[FlaggedItem]:
    items = FlaggedItem.objects.filter(status=Status.PENDING, stage=Stage.HUMAN)
    if resource is not None:
        require_reviewer(user, resource)
        items = items.filter(resource=resource) if human_review_allowed(resource) else items.none()
    elif not is_staff(user) or not residency_allows(user, Resource(in_eea=True)):
        items = items.filter(resource__in=reviewable_resources(user))
    return queue_order(items)


def _claim_ttl() -> timedelta:
    return timedelta(minutes=_setting("GUARDSITE_REVIEW_CLAIM_MINUTES", 30))


def _unclaimed(now: Any) -> Q:
    return Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now)


def claim_next_item(*, acting_user: Any, resource: Resource | None = None) -> FlaggedItem | None:
    """Claim the first unclaimed (or expired-claim) item of the queue, or None when it is empty.

    Candidates are read without locks; each claim is a conditional update, so of two reviewers
    racing for the same item exactly one gets it and the other moves on to the next candidate.
    """
    for _attempt in range(5):
        now = timezone.now()
        candidates = list(
            human_queue(acting_user, resource)
            .filter(_unclaimed(now))
            .values_list("pk", flat=True)[:10]
        )
        if not candidates:
            return None
        for pk in candidates:
            item = _try_claim(pk, acting_user, now)
            if item is not None:
                return item
    return None


def claim_item(item: FlaggedItem, *, acting_user: Any) -> FlaggedItem:
    require_reviewer(acting_user, item.resource)
    claimed = _try_claim(item.pk, acting_user, timezone.now())
    if claimed is None:
        raise conflict(
            "Another reviewer holds this item, or it is no longer pending.", "claim_lost"
        )
    return claimed


def _try_claim(pk: Any, user: Any, now: Any) -> FlaggedItem | None:
    with transaction.atomic():
        changed = (
            FlaggedItem.objects.filter(pk=pk, status=Status.PENDING, stage=Stage.HUMAN)
            .filter(_unclaimed(now))
            .update(claimed_by=user, claim_expires_at=now + _claim_ttl(), version=F("version") + 1)
        )
        if changed != 1:
            return None
        item = FlaggedItem.objects.select_related("resource").get(pk=pk)
        _history(item, actor=user, action="claimed", old=item.status, new=item.status)
    return item


def release_item(item: FlaggedItem, *, acting_user: Any) -> FlaggedItem:
    """Give a claim back; a review manager may release anyone's claim."""
    mine = Q(claimed_by=acting_user)
    if is_review_manager(acting_user, item.resource):
        mine = Q(claimed_by__isnull=False)
    with transaction.atomic():
        transition(
            item,
            FlaggedItem.objects.filter(mine, status=Status.PENDING),
            {"claimed_by": None, "claim_expires_at": None, "version": F("version") + 1},
            "You do not hold a claim on this item.",
            "claim_lost",
        )
        _history(item, actor=acting_user, action="released", old=item.status, new=item.status)
    return item


# --- Decisions -------------------------------------------------------------------------------


def _validate_label(category: str, severity: int) -> None:
    errors = {}
    if category not in REVIEW_CATEGORIES:
        errors["category"] = f"Choose one of: {', '.join(REVIEW_CATEGORIES)}."
    if not isinstance(severity, int) or not 0 <= severity <= MAX_SEVERITY:
        errors["severity"] = f"Severity is an integer from 0 to {MAX_SEVERITY}."
    if errors:
        raise ValidationError(errors)


def _decide(
    item: FlaggedItem,
    *,
    new_status: str,
    acting_user: Any,
    reason: str,
    category: str = "",
    severity: int | None = None,
    ip: str | None = None,
    version: int | None = None,
    as_manager: bool = False,
    automated: dict | None = None,
) -> FlaggedItem:
    """One transition out of pending. Humans must hold an unexpired claim (managers acting in
    bulk need not); the automated reviewer acts only at the automated stage."""
    now = timezone.now()
    pending = FlaggedItem.objects.filter(status=Status.PENDING)
    if version is not None:
        pending = pending.filter(version=version)
    if automated is not None:
        pending = pending.filter(stage=Stage.AUTOMATED)
    elif not as_manager:
        pending = pending.filter(
            stage=Stage.HUMAN, claimed_by=acting_user, claim_expires_at__gt=now
        )
    grant = None if automated is not None else active_grant_for(acting_user, item)
    old_status = item.status
    with transaction.atomic():
        transition(
            item,
            pending,
            {
                "status": new_status,
                "stage": Stage.DONE,
                "reviewed_category": category or item.category,
                "reviewed_severity": item.severity if severity is None else severity,
                "decided_by": _actor(acting_user),
                "decided_at": now,
                "decision_reason": reason[:500],
                "claimed_by": None,
                "claim_expires_at": None,
                "version": F("version") + 1,
                **(automated or {}),
            },
            "Your claim on this item expired or it was decided by someone else; "
            "reload it and claim it again.",
            "claim_lost",
        )
        label = {"category": item.reviewed_category, "severity": item.reviewed_severity}
        _history(
            item,
            actor=acting_user,
            action="automated_review" if automated is not None else new_status,
            old=old_status,
            new=new_status,
            reason=reason,
            **label,
            **({"automated": automated} if automated else {}),
        )
        audit(
            actor=acting_user,
            action=f"item.{new_status}",
            target=item,
            resource=item.resource,
            grant=grant,
            ip=ip,
            details={**label, "reason": reason, "bulk": as_manager},
        )
        if item.case is not None and new_status in DECIDED:
            maybe_confirm_case(item.case)
    return item


def confirm_item(
    item: FlaggedItem, *, acting_user: Any, reason: str = "", ip=None, version=None
) -> FlaggedItem:
    """The classification is right."""
    require_reviewer(acting_user, item.resource)
    return _decide(
        item,
        new_status=Status.CONFIRMED,
        acting_user=acting_user,
        reason=reason,
        ip=ip,
        version=version,
    )


def correct_item(
    item: FlaggedItem,
    *,
    category: str,
    severity: int,
    reason: str = "",
    acting_user: Any,
    ip=None,
    version=None,
) -> FlaggedItem:
    """Abusive, but the label or severity was wrong."""
    require_reviewer(acting_user, item.resource)
    _validate_label(category, severity)
    return _decide(
        item,
        new_status=Status.CORRECTED,
        category=category,
        severity=severity,
        acting_user=acting_user,
        reason=reason,
        ip=ip,
        version=version,
    )


def dismiss_item(
    item: FlaggedItem, *, reason: str, acting_user: Any, ip=None, version=None
) -> FlaggedItem:
    """Not abusive; a reason is required."""
    require_reviewer(acting_user, item.resource)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the item is not abusive."})
    return _decide(
        item,
        new_status=Status.DISMISSED,
        acting_user=acting_user,
        reason=reason.strip(),
        ip=ip,
        version=version,
    )


def add_note(item: FlaggedItem, *, text: str, acting_user: Any) -> ItemNote:
    require_reviewer(acting_user, item.resource)
    if not text or not text.strip():
        raise ValidationError({"text": "A note needs text."})
    with transaction.atomic():
        note = ItemNote.objects.create(item=item, author=acting_user, text=text.strip())
        _history(item, actor=acting_user, action="noted", old=item.status, new=item.status)
    return note


BULK_DECISIONS = ("confirm", "correct", "dismiss", "release")


def bulk_decide(
    items: Iterable[FlaggedItem],
    *,
    decision: str,
    acting_user: Any,
    reason: str = "",
    category: str = "",
    severity: int | None = None,
    ip: str | None = None,
) -> dict[str, list[str]]:
    """Review managers decide (or release) many pending items; each is its own conditional
    update, so items decided meanwhile are reported as skipped rather than overwritten."""
    if decision not in BULK_DECISIONS:
        raise ValidationError({"decision": f"Choose one of: {', '.join(BULK_DECISIONS)}."})
    if decision == "dismiss" and not reason.strip():
        raise ValidationError({"reason": "Say why the items are not abusive."})
    if decision == "correct":
        _validate_label(category, severity if severity is not None else -1)
    items = list(items)
    for resource in {item.resource for item in items}:
        require_review_manager(acting_user, resource)
    done: list[str] = []
    skipped: list[str] = []
    new_status = {"confirm": Status.CONFIRMED, "correct": Status.CORRECTED}.get(
        decision, Status.DISMISSED
    )
    for item in items:
        try:
            if decision == "release":
                release_item(item, acting_user=acting_user)
            else:
                _decide(
                    item,
                    new_status=new_status,
                    acting_user=acting_user,
                    reason=reason,
                    category=category,
                    severity=severity,
                    ip=ip,
                    as_manager=True,
                )
        except ValidationError:
            skipped.append(str(item.pk))
        else:
            done.append(str(item.pk))
    return {"done": done, "skipped": skipped}


def apply_automated_verdict(
    item: FlaggedItem,
    *,
    abusive: bool,
    category: str,
    severity: int,
    confidence: float,
    reviewer: str,
    explanation: str = "",
) -> FlaggedItem:
    """Record the automated reviewer's decision on an item it was confident about."""
    if not abusive:
        new_status = Status.DISMISSED
    elif category == item.category and severity == item.severity:
        new_status = Status.CONFIRMED
    else:
        new_status = Status.CORRECTED
    return _decide(
        item,
        new_status=new_status,
        acting_user=None,
        category=category,
        severity=severity,
        reason=explanation or f"automated review by {reviewer} ({confidence:.2f})",
        automated={
            "automated_verdict": "abusive" if abusive else "not_abusive",
            "automated_confidence": confidence,
            "automated_reviewer": reviewer[:64],
        },
    )


def send_to_human_queue(
    item: FlaggedItem, *, reason: str, verdict: dict | None = None
) -> FlaggedItem | None:
    """Automated review was unsure or unavailable: a person decides. Never for resources with
    modified abuse monitoring, whose items stay with automated review only."""
    if not human_review_allowed(item.resource):
        return None
    fields: dict[str, Any] = {"stage": Stage.HUMAN, "version": F("version") + 1}
    if verdict:
        fields.update(
            automated_verdict=verdict["verdict"],
            automated_confidence=verdict["confidence"],
            automated_reviewer=verdict["reviewer"][:64],
        )
    with transaction.atomic():
        changed = FlaggedItem.objects.filter(
            pk=item.pk, status=Status.PENDING, stage=Stage.AUTOMATED
        ).update(**fields)
        if changed != 1:
            return None
        item.refresh_from_db()
        _history(
            item,
            actor=None,
            action="sent_to_human_review",
            old=item.status,
            new=item.status,
            reason=reason,
            **({"automated": verdict} if verdict else {}),
        )
    return item


def escalate_stale_items(now: Any = None) -> int:
    """Items pending in the human queue past the age limit are escalated once: flagged, moved to
    the top of the queue (priority raised) and their review managers emailed."""
    now = now or timezone.now()
    limit = now - timedelta(hours=_setting("GUARDSITE_REVIEW_ESCALATE_AFTER_HOURS", 24))
    stale = FlaggedItem.objects.filter(
        status=Status.PENDING, stage=Stage.HUMAN, escalated_at__isnull=True, created_at__lte=limit
    )
    per_resource: dict[Any, int] = {}
    for item in stale.select_related("resource").iterator():
        with transaction.atomic():
            changed = FlaggedItem.objects.filter(
                pk=item.pk, status=Status.PENDING, escalated_at__isnull=True
            ).update(escalated_at=now, priority=F("priority") + 1000, version=F("version") + 1)
            if changed != 1:
                continue
            _history(
                item,
                actor=None,
                action="escalated",
                old=item.status,
                new=item.status,
                reason="pending past the age limit",
            )
        per_resource[item.resource_id] = per_resource.get(item.resource_id, 0) + 1
    for resource_id, count in per_resource.items():
        notifications.items_escalated(resource_id, count)
    return sum(per_resource.values())


# --- Cases and enforcement -------------------------------------------------------------------


def maybe_confirm_case(case: AbuseCase) -> AbuseCase:
    """An open case is confirmed once enough of its items are confirmed by review."""
    needed = _setting("GUARDSITE_CASE_CONFIRM_MIN_ITEMS", 3)
    if case.status != AbuseCase.Status.OPEN:
        return case
    confirmed = FlaggedItem.objects.filter(case=case, status__in=DECIDED).count()
    if confirmed >= needed:
        try:
            return confirm_case(
                case, acting_user=None, reason=f"{confirmed} items confirmed by review"
            )
        except ValidationError:
            case.refresh_from_db()  # confirmed meanwhile
    return case


def _require_case_decider(case: AbuseCase, user: Any) -> None:
    if user is not None:
        require_review_manager(user, case.resource)


def _close_case(case: AbuseCase, *, new_status: str, acting_user: Any, reason: str) -> None:
    """Move an open case to its decision; a case decided meanwhile is a conflict."""
    transition(
        case,
        AbuseCase.objects.filter(status=AbuseCase.Status.OPEN),
        {
            "status": new_status,
            "decided_by": _actor(acting_user),
            "decided_at": timezone.now(),
            "decision_reason": reason[:500],
        },
        "This case is no longer open.",
        "already_decided",
    )


def confirm_case(case: AbuseCase, *, acting_user: Any, reason: str = "") -> AbuseCase:
    """Abuse confirmed: the owners are emailed and the resource gets a notice with a remediation
    window, or, for severe or recurring abuse, a suspension (termination after a suspension)."""
    _require_case_decider(case, acting_user)
    with transaction.atomic():
        _close_case(
            case, new_status=AbuseCase.Status.CONFIRMED, acting_user=acting_user, reason=reason
        )
        audit(
            actor=acting_user,
            action="case.confirmed",
            target=case,
            resource=case.resource,
            details={"reason": reason, "score": case.score},
        )
        _enforce(case, acting_user=acting_user)
    return case


def dismiss_case(case: AbuseCase, *, acting_user: Any, reason: str) -> AbuseCase:
    _require_case_decider(case, acting_user)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why the case is not abuse."})
    with transaction.atomic():
        _close_case(
            case, new_status=AbuseCase.Status.DISMISSED, acting_user=acting_user, reason=reason
        )
        audit(
            actor=acting_user,
            action="case.dismissed",
            target=case,
            resource=case.resource,
            details={"reason": reason},
        )
    return case


SANCTIONS = (EnforcementAction.Kind.SUSPENSION, EnforcementAction.Kind.TERMINATION)
IN_FORCE = (
    EnforcementAction.Status.AWAITING_REMEDIATION,
    EnforcementAction.Status.APPLIED,
    EnforcementAction.Status.ESCALATED,
    EnforcementAction.Status.RESOLVED,
)


def _enforce(case: AbuseCase, *, acting_user: Any) -> EnforcementAction:
    resource = case.resource
    severe_from = _setting("GUARDSITE_SEVERE_SEVERITY", 6)
    severe = FlaggedItem.objects.filter(
        case=case, status__in=DECIDED, reviewed_severity__gte=severe_from
    ).exists()
    since = timezone.now() - timedelta(days=_setting("GUARDSITE_RECURRENCE_DAYS", 180))
    earlier = EnforcementAction.objects.filter(
        resource=resource, created_at__gte=since, status__in=IN_FORCE
    ).exclude(case=case)
    recurring = earlier.exists()
    sanctioned_before = earlier.filter(kind__in=SANCTIONS).exists()
    if severe or recurring:
        kind = (
            EnforcementAction.Kind.TERMINATION
            if sanctioned_before
            else EnforcementAction.Kind.SUSPENSION
        )
        why = "severe" if severe else "recurring"
        action = _sanction(
            resource,
            kind=kind,
            case=case,
            reason=f"Confirmed {why} abuse (case score {case.score:.1f}).",
            severe=severe,
            recurring=recurring,
            acting_user=acting_user,
        )
    else:
        days = _setting("GUARDSITE_REMEDIATION_DAYS", 7)
        action = EnforcementAction.objects.create(
            resource=resource,
            case=case,
            kind=EnforcementAction.Kind.NOTICE,
            status=EnforcementAction.Status.AWAITING_REMEDIATION,
            reason=f"Confirmed abuse (case score {case.score:.1f}).",
            remediation_deadline=timezone.now() + timedelta(days=days),
            created_by=_actor(acting_user),
        )
        audit(actor=acting_user, action="enforcement.notice", target=action, resource=resource)
    pk = action.pk
    transaction.on_commit(lambda: notifications.abuse_confirmed(pk))
    return action


def _sanction(
    resource: Resource,
    *,
    kind: str,
    case: AbuseCase | None,
    reason: str,
    acting_user: Any,
    severe: bool = False,
    recurring: bool = False,
) -> EnforcementAction:
    new_status = (
        Resource.Status.TERMINATED
        if kind == EnforcementAction.Kind.TERMINATION
        else Resource.Status.SUSPENDED
    )
    previous = set_resource_status(
        resource, new_status, reason=reason, acting_user=_actor(acting_user)
    )
    action = EnforcementAction.objects.create(
        resource=resource,
        case=case,
        kind=kind,
        status=EnforcementAction.Status.APPLIED,
        reason=reason,
        severe=severe,
        recurring=recurring,
        previous_resource_status=previous,
        created_by=_actor(acting_user),
    )
    audit(
        actor=acting_user,
        action=f"enforcement.{kind}",
        target=action,
        resource=resource,
        details={"previous_status": previous, "status": new_status, "reason": reason},
    )
    return action


def sanction_resource(
    resource: Resource, *, kind: str, reason: str, acting_user: Any, case: AbuseCase | None = None
) -> EnforcementAction:
    """A review manager (or staff) suspends or terminates a resource directly."""
    require_review_manager(acting_user, resource)
    if kind not in SANCTIONS:
        raise ValidationError({"kind": "Choose suspension or termination."})
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Say why."})
    with transaction.atomic():
        action = _sanction(
            resource, kind=kind, case=case, reason=reason.strip(), acting_user=acting_user
        )
        pk = action.pk
        transaction.on_commit(lambda: notifications.abuse_confirmed(pk))
    return action


def _require_owner(user: Any, resource: Resource) -> None:
    if role_of(user, resource) != Membership.Role.OWNER:
        raise PermissionDenied("Only the resource's owners answer enforcement actions.")


def reply_to_action(action: EnforcementAction, *, text: str, acting_user: Any) -> OwnerReply:
    """The owner explains or describes the remediation; a reply before the deadline addresses
    the notice (a review manager then resolves it or sanctions the resource)."""
    _require_owner(acting_user, action.resource)
    if not text or not text.strip():
        raise ValidationError({"text": "A reply needs text."})
    with transaction.atomic():
        reply = OwnerReply.objects.create(action=action, author=acting_user, text=text.strip())
        audit(
            actor=acting_user, action="enforcement.replied", target=action, resource=action.resource
        )
    return reply


def resolve_action(
    action: EnforcementAction, *, acting_user: Any, reason: str = ""
) -> EnforcementAction:
    """A review manager accepts the owner's remediation: the notice is closed."""
    require_review_manager(acting_user, action.resource)
    with transaction.atomic():
        transition(
            action,
            EnforcementAction.objects.filter(status=EnforcementAction.Status.AWAITING_REMEDIATION),
            {"status": EnforcementAction.Status.RESOLVED},
            "This notice is not awaiting remediation.",
            "already_decided",
        )
        audit(
            actor=acting_user,
            action="enforcement.resolved",
            target=action,
            resource=action.resource,
            details={"reason": reason},
        )
    return action


def enforce_missed_deadlines(now: Any = None) -> int:
    """Notices past their deadline without any reply suspend the resource."""
    now = now or timezone.now()
    overdue = EnforcementAction.objects.filter(
        status=EnforcementAction.Status.AWAITING_REMEDIATION,
        remediation_deadline__lte=now,
        replies__isnull=True,
    ).select_related("resource", "case")
    suspended = 0
    for notice in overdue.iterator():
        with transaction.atomic():
            changed = EnforcementAction.objects.filter(
                pk=notice.pk, status=EnforcementAction.Status.AWAITING_REMEDIATION
            ).update(status=EnforcementAction.Status.ESCALATED)
            if changed != 1:
                continue
            action = _sanction(
                notice.resource,
                kind=EnforcementAction.Kind.SUSPENSION,
                case=notice.case,
                reason=f"The remediation deadline of notice {notice.pk} passed unaddressed.",
                acting_user=None,
            )
            pk = action.pk
            transaction.on_commit(functools.partial(notifications.remediation_missed, pk))
            suspended += 1
    return suspended


def file_appeal(action: EnforcementAction, *, text: str, acting_user: Any) -> Appeal:
    """An owner appeals an action, once."""
    _require_owner(acting_user, action.resource)
    if not text or not text.strip():
        raise ValidationError({"text": "Explain the appeal."})
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(action=action, appellant=acting_user, text=text.strip())
            audit(actor=acting_user, action="appeal.filed", target=appeal, resource=action.resource)
    except IntegrityError as exc:
        raise conflict(
            "This action was already appealed; one appeal per action.", "already_appealed"
        ) from exc
    return appeal


def decide_appeal(appeal: Appeal, *, approve: bool, acting_user: Any, reason: str = "") -> Appeal:
    """Staff or a review manager (never the appellant) decide; approval reverts the action and
    restores the resource's previous status."""
    action = appeal.action
    resource = action.resource
    if appeal.appellant_id == getattr(acting_user, "pk", None):
        raise PermissionDenied("You cannot decide your own appeal.")
    require_review_manager(acting_user, resource)
    now = timezone.now()
    new_status = Appeal.Status.APPROVED if approve else Appeal.Status.REJECTED
    with transaction.atomic():
        transition(
            appeal,
            Appeal.objects.filter(status=Appeal.Status.PENDING),
            {
                "status": new_status,
                "decided_by": acting_user,
                "decided_at": now,
                "decision_reason": reason[:500],
            },
            "This appeal was already decided.",
            "already_decided",
        )
        if approve:
            EnforcementAction.objects.filter(pk=action.pk).update(
                status=EnforcementAction.Status.REVERTED
            )
            if action.kind in SANCTIONS and action.previous_resource_status:
                set_resource_status(
                    resource,
                    action.previous_resource_status,
                    reason=f"appeal {appeal.pk} approved",
                    acting_user=acting_user,
                )
        audit(
            actor=acting_user,
            action=f"appeal.{new_status}",
            target=appeal,
            resource=resource,
            details={"reason": reason},
        )
        transaction.on_commit(lambda: notifications.appeal_decided(appeal.pk))
    return appeal


# --- Retention -------------------------------------------------------------------------------


def purge_expired_content(now: Any = None, batch_size: int = 5000) -> int:
    """Drop stored prompts, completions and documents older than the retention period, in
    batches; analyses, decisions, flags and review outcomes (the signals) stay."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=_setting("GUARDSITE_CONTENT_RETENTION_DAYS", 30))
    expired = ClassificationEvent.objects.filter(created_at__lt=cutoff).filter(
        Q(content__isnull=False) | Q(documents__isnull=False)
    )
    purged = 0
    while True:
        ids = list(expired.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return purged
        purged += ClassificationEvent.objects.filter(pk__in=ids).update(
            content=None, documents=None
        )
