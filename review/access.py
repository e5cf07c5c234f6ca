"""Just-in-time access to flagged content, and the one door content goes through.

No standing access: eligible reviewers (role reviewer or review manager on the resource, or staff)
see metadata only. To read content they request a time-limited grant, which a review manager other
than themselves approves. ``content_for`` is the only function that returns content to a person: it
checks eligibility, data residency and an active grant on every call (so expiry and revocation
take effect at once) and writes the audit row. Every change to a request or grant is audited too.
"""

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from guardsite.access import AnyUser, is_staff, role_of
from guardsite.models import Membership, Resource

from . import notifications
from .models import AbuseCase, AccessRequest, AuditLogEntry, FlaggedItem, ReviewerProfile

Role = Membership.Role
REVIEW_ROLES = frozenset({Role.REVIEWER, Role.REVIEW_MANAGER})

# Codes the review API answers with 409 Conflict: someone else changed the row first.
CONFLICT_CODES = frozenset(
    {"claim_lost", "not_pending", "already_decided", "already_appealed", "not_active", "stale"}
)

DEFAULT_MAX_MINUTES = {"reviewer": 240, "review_manager": 480, "staff": 480}


def conflict(message: str, code: str) -> ValidationError:
    assert code in CONFLICT_CODES
    return ValidationError(message, code=code)


def transition(
    instance: Model, allowed: QuerySet, updates: dict[str, Any], conflict_message: str, code: str
) -> None:
    """Update ``instance``'s row only while it is still in ``allowed`` (its from-state), then
    refresh it. Zero rows means someone else changed it first: raise the 409 conflict."""
    if allowed.filter(pk=instance.pk).update(**updates) != 1:
        raise conflict(conflict_message, code)
    instance.refresh_from_db()


# --- Audit -----------------------------------------------------------------------------------


def client_ip(request: HttpRequest | Any | None) -> str | None:
    """The peer address. Behind a proxy, configure it to set REMOTE_ADDR (never trust XFF here)."""
    if request is None:
        return None
    meta = getattr(request, "META", None) or getattr(getattr(request, "_request", None), "META", {})
    return meta.get("REMOTE_ADDR") or None


def audit(
    *,
    actor: Any,
    action: str,
    target: Any,
    resource: Resource | None,
    grant: AccessRequest | None = None,
    ip: str | None = None,
    details: dict | None = None,
) -> AuditLogEntry:
    authenticated = getattr(actor, "is_authenticated", False)
    return AuditLogEntry.objects.create(
        actor=actor if authenticated else None,
        actor_repr=actor.get_username() if authenticated else "system",
        action=action,
        resource=resource,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk),
        grant=grant,
        client_ip=ip,
        details=details,
    )


# --- Who may review --------------------------------------------------------------------------


def profile_of(user: AnyUser) -> ReviewerProfile | None:
    if not user.is_authenticated:
        return None
    return ReviewerProfile.objects.filter(user=user).first()


def is_eligible_reviewer(user: AnyUser, resource: Resource) -> bool:
    return is_staff(user) or role_of(user, resource) in REVIEW_ROLES


def is_review_manager(user: AnyUser, resource: Resource) -> bool:
    return is_staff(user) or role_of(user, resource) == Role.REVIEW_MANAGER


def residency_allows(user: AnyUser, resource: Resource) -> bool:
    """A resource in the EEA may be reviewed only by reviewers located in the EEA."""
    if not resource.in_eea:
        return True
    profile = profile_of(user)
    return bool(profile and profile.located_in_eea)


def require_reviewer(user: AnyUser, resource: Resource) -> None:
    """Eligible to review this resource's items (metadata, claims, decisions) or 403."""
    if not is_eligible_reviewer(user, resource):
        raise PermissionDenied("Only reviewers and review managers of this resource review it.")
    if not residency_allows(user, resource):
        raise PermissionDenied(
            "This resource is in the EEA: only reviewers located in the EEA may review it."
        )


def require_review_manager(user: AnyUser, resource: Resource) -> None:
    require_reviewer(user, resource)
    if not is_review_manager(user, resource):
        raise PermissionDenied("Only review managers of this resource can do this.")


def human_review_allowed(resource: Resource) -> bool:
    """Modified abuse monitoring: no content is stored and no person reviews it."""
    return not resource.modified_abuse_monitoring_approved


def max_minutes_for(user: AnyUser, resource: Resource) -> int:
    caps = {**DEFAULT_MAX_MINUTES, **getattr(settings, "GUARDSITE_JIT_MAX_MINUTES", {})}
    role = role_of(user, resource)
    allowed = [caps[role]] if role in REVIEW_ROLES else []
    if is_staff(user):
        allowed.append(caps["staff"])
    return max(allowed, default=0)


# --- Requests and grants ---------------------------------------------------------------------


NOT_PENDING = "This request is no longer pending."


def _pending() -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(status=AccessRequest.Status.PENDING)


def _request_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "GUARDSITE_JIT_REQUEST_TTL_HOURS", 4))


def _check_scope(resource: Resource, scope: str, case: AbuseCase | None) -> None:
    if scope not in AccessRequest.Scope.values:
        raise ValidationError({"scope": f"Choose one of: {', '.join(AccessRequest.Scope.values)}."})
    if scope == AccessRequest.Scope.CASE and (case is None or case.resource_id != resource.pk):
        raise ValidationError({"case": "A case scope names a case of this resource."})
    if scope != AccessRequest.Scope.CASE and case is not None:
        raise ValidationError({"case": "Only a case scope names a case."})


def _check_requester(user: AnyUser, resource: Resource) -> None:
    require_reviewer(user, resource)
    if not human_review_allowed(resource):
        raise PermissionDenied(
            "This resource has modified abuse monitoring: its content is not stored or reviewed."
        )


def request_access(
    resource: Resource,
    *,
    scope: str,
    justification: str,
    duration_minutes: int,
    case: AbuseCase | None = None,
    extends: AccessRequest | None = None,
    acting_user: Any,
    ip: str | None = None,
) -> AccessRequest:
    """Ask a review manager for time-limited access to content; they are notified."""
    _check_requester(acting_user, resource)
    _check_scope(resource, scope, case)
    if not justification or not justification.strip():
        raise ValidationError({"justification": "Say why you need to see the content."})
    cap = max_minutes_for(acting_user, resource)
    if not 1 <= duration_minutes <= cap:
        raise ValidationError(
            {"duration_minutes": f"Ask for between 1 and {cap} minutes (your role's maximum)."}
        )
    now = timezone.now()
    with transaction.atomic():
        access_request = AccessRequest.objects.create(
            requester=acting_user,
            resource=resource,
            scope=scope,
            case=case,
            justification=justification.strip(),
            requested_minutes=duration_minutes,
            extends=extends,
            request_expires_at=now + _request_ttl(),
            created_at=now,
        )
        audit(
            actor=acting_user,
            action="access.requested",
            target=access_request,
            resource=resource,
            ip=ip,
            details={
                "scope": scope,
                "case": str(case.pk) if case else None,
                "minutes": duration_minutes,
                "extends": str(extends.pk) if extends else None,
                "justification": access_request.justification,
            },
        )
        transaction.on_commit(lambda: notifications.access_requested(access_request.pk))
    return access_request


def request_extension(
    grant: AccessRequest,
    *,
    justification: str,
    duration_minutes: int,
    acting_user: Any,
    ip: str | None = None,
) -> AccessRequest:
    """Extending is a new request that needs its own approval; the running grant is unchanged."""
    if grant.requester_id != acting_user.pk:
        raise PermissionDenied("Only the grant's holder can ask to extend it.")
    if grant.status != AccessRequest.Status.APPROVED:
        raise conflict("Only an approved grant can be extended.", "not_active")
    return request_access(
        grant.resource,
        scope=grant.scope,
        case=grant.case,
        justification=justification,
        duration_minutes=duration_minutes,
        extends=grant,
        acting_user=acting_user,
        ip=ip,
    )


def _audit_and_notify(
    access_request: AccessRequest,
    *,
    acting_user: Any,
    action: str,
    grant: AccessRequest | None = None,
    ip: str | None = None,
    details: dict | None = None,
) -> None:
    """The audit row of a decision on a request, and the requester's email once it commits."""
    audit(
        actor=acting_user,
        action=action,
        target=access_request,
        resource=access_request.resource,
        grant=grant,
        ip=ip,
        details=details,
    )
    transaction.on_commit(functools.partial(notifications.access_decided, access_request.pk))


def _require_approver(access_request: AccessRequest, user: AnyUser) -> None:
    if access_request.requester_id == user.pk:
        raise PermissionDenied("You cannot approve or deny your own access request.")
    if not is_review_manager(user, access_request.resource):
        raise PermissionDenied("Only a review manager of this resource decides access requests.")


def approve_access_request(
    access_request: AccessRequest,
    *,
    acting_user: Any,
    duration_minutes: int | None = None,
    reason: str = "",
    ip: str | None = None,
) -> AccessRequest:
    """Grant the request, for its duration or shorter (never longer); the requester is told."""
    _require_approver(access_request, acting_user)
    minutes = access_request.requested_minutes if duration_minutes is None else duration_minutes
    if not 1 <= minutes <= access_request.requested_minutes:
        raise ValidationError(
            {
                "duration_minutes": "An approver can shorten a request but not extend it: "
                f"grant between 1 and {access_request.requested_minutes} minutes."
            }
        )
    now = timezone.now()
    with transaction.atomic():
        transition(
            access_request,
            _pending().filter(request_expires_at__gt=now),
            {
                "status": AccessRequest.Status.APPROVED,
                "decided_by": acting_user,
                "decided_at": now,
                "decision_reason": reason,
                "granted_minutes": minutes,
                "starts_at": now,
                "expires_at": now + timedelta(minutes=minutes),
            },
            NOT_PENDING,
            "not_pending",
        )
        _audit_and_notify(
            access_request,
            acting_user=acting_user,
            action="access.approved",
            grant=access_request,
            ip=ip,
            details={"minutes": minutes, "requested": access_request.requested_minutes},
        )
    return access_request


def deny_access_request(
    access_request: AccessRequest, *, acting_user: Any, reason: str = "", ip: str | None = None
) -> AccessRequest:
    _require_approver(access_request, acting_user)
    now = timezone.now()
    with transaction.atomic():
        transition(
            access_request,
            _pending(),
            {
                "status": AccessRequest.Status.DENIED,
                "decided_by": acting_user,
                "decided_at": now,
                "decision_reason": reason,
            },
            NOT_PENDING,
            "not_pending",
        )
        _audit_and_notify(
            access_request,
            acting_user=acting_user,
            action="access.denied",
            ip=ip,
            details={"reason": reason},
        )
    return access_request


def cancel_access_request(
    access_request: AccessRequest, *, acting_user: Any, ip: str | None = None
) -> AccessRequest:
    if access_request.requester_id != acting_user.pk:
        raise PermissionDenied("Only the requester can cancel a request.")
    with transaction.atomic():
        transition(
            access_request,
            _pending(),
            {"status": AccessRequest.Status.CANCELLED, "decided_at": timezone.now()},
            NOT_PENDING,
            "not_pending",
        )
        # The requester cancelled it themselves: audited, nobody to tell.
        audit(
            actor=acting_user,
            action="access.cancelled",
            target=access_request,
            resource=access_request.resource,
            ip=ip,
        )
    return access_request


def revoke_grant(
    grant: AccessRequest, *, acting_user: Any, reason: str = "", ip: str | None = None
) -> AccessRequest:
    """End a grant at once. A review manager revokes any grant; a holder may give up their own."""
    if grant.requester_id != acting_user.pk and not is_review_manager(acting_user, grant.resource):
        raise PermissionDenied("Only a review manager or the holder can revoke a grant.")
    now = timezone.now()
    with transaction.atomic():
        transition(
            grant,
            AccessRequest.objects.filter(status=AccessRequest.Status.APPROVED, expires_at__gt=now),
            {
                "status": AccessRequest.Status.REVOKED,
                "revoked_by": acting_user,
                "revoked_at": now,
                "expires_at": now,
            },
            "This grant is not active.",
            "not_active",
        )
        _audit_and_notify(
            grant,
            acting_user=acting_user,
            action="access.revoked",
            grant=grant,
            ip=ip,
            details={"reason": reason},
        )
    return grant


def break_glass(
    resource: Resource,
    *,
    scope: str,
    justification: str,
    case: AbuseCase | None = None,
    acting_user: Any,
    ip: str | None = None,
) -> AccessRequest:
    """Emergency access without an approval, for designated accounts only; managers are alerted
    at once and the use is flagged for review afterwards."""
    profile = profile_of(acting_user)
    if profile is None or not profile.can_break_glass:
        raise PermissionDenied("Your account is not designated for break-glass access.")
    _check_requester(acting_user, resource)
    _check_scope(resource, scope, case)
    if not justification or not justification.strip():
        raise ValidationError({"justification": "Say why this is an emergency."})
    minutes = getattr(settings, "GUARDSITE_BREAK_GLASS_MINUTES", 60)
    now = timezone.now()
    with transaction.atomic():
        grant = AccessRequest.objects.create(
            requester=acting_user,
            resource=resource,
            scope=scope,
            case=case,
            justification=justification.strip(),
            requested_minutes=minutes,
            granted_minutes=minutes,
            status=AccessRequest.Status.APPROVED,
            break_glass=True,
            request_expires_at=now,
            decided_at=now,
            starts_at=now,
            expires_at=now + timedelta(minutes=minutes),
            created_at=now,
        )
        audit(
            actor=acting_user,
            action="access.break_glass",
            target=grant,
            resource=resource,
            grant=grant,
            ip=ip,
            details={"scope": scope, "minutes": minutes, "justification": grant.justification},
        )
        transaction.on_commit(lambda: notifications.break_glass_used(grant.pk))
    return grant


def mark_break_glass_reviewed(
    grant: AccessRequest, *, acting_user: Any, notes: str = "", ip: str | None = None
) -> AccessRequest:
    if not grant.break_glass:
        raise ValidationError("Only break-glass grants are reviewed afterwards.")
    _require_approver(grant, acting_user)
    now = timezone.now()
    with transaction.atomic():
        transition(
            grant,
            AccessRequest.objects.filter(break_glass=True, post_reviewed_at__isnull=True),
            {"post_reviewed_by": acting_user, "post_reviewed_at": now},
            "This break-glass use was already reviewed.",
            "already_decided",
        )
        audit(
            actor=acting_user,
            action="access.break_glass_reviewed",
            target=grant,
            resource=grant.resource,
            grant=grant,
            ip=ip,
            details={"notes": notes},
        )
    return grant


def expire_unanswered_requests(now: Any = None) -> int:
    """Pending requests past their answer-by time expire; requesters are told."""
    now = now or timezone.now()
    expired = 0
    stale = AccessRequest.objects.filter(
        status=AccessRequest.Status.PENDING, request_expires_at__lte=now
    ).select_related("resource")
    for access_request in stale.iterator():
        with transaction.atomic():
            changed = (
                _pending()
                .filter(pk=access_request.pk)
                .update(status=AccessRequest.Status.EXPIRED, decided_at=now)
            )
            if changed != 1:
                continue  # decided meanwhile
            access_request.status = AccessRequest.Status.EXPIRED
            _audit_and_notify(access_request, acting_user=None, action="access.expired")
            expired += 1
    return expired


def active_grants(user: AnyUser, resource: Resource, now: Any = None):
    now = now or timezone.now()
    return AccessRequest.objects.filter(
        requester=user,
        resource=resource,
        status=AccessRequest.Status.APPROVED,
        starts_at__lte=now,
        expires_at__gt=now,
    )


def active_grant_for(user: AnyUser, item: FlaggedItem) -> AccessRequest | None:
    """The grant under which this user may read this item's content now, or None.

    Eligibility and residency are checked again, so a reviewer who lost the role or moved out of
    the EEA loses access even while a grant is running.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    resource = item.resource
    if not human_review_allowed(resource) or not is_eligible_reviewer(user, resource):
        return None
    if not residency_allows(user, resource):
        return None
    scope = Q(scope__in=[AccessRequest.Scope.QUEUE, AccessRequest.Scope.RESOURCE])
    if item.case_id is not None:
        scope |= Q(scope=AccessRequest.Scope.CASE, case_id=item.case_id)
    return active_grants(user, resource).filter(scope).order_by("-expires_at").first()


# --- Content ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemContent:
    text: str | None
    documents: list[str] | None
    grant_id: Any
    # True when the content is gone: purged after retention (or never stored).
    purged: bool


def content_for(
    user: AnyUser, item: FlaggedItem, *, request: HttpRequest | Any | None
) -> ItemContent:
    """The item's content for this user, if a grant allows it now; every read is audited.

    Raises PermissionDenied (and audits the refused attempt) without an active grant.
    """
    ip = client_ip(request)
    grant = active_grant_for(user, item)
    if grant is None:
        audit(
            actor=user,
            action="content.refused",
            target=item,
            resource=item.resource,
            ip=ip,
        )
        raise PermissionDenied(
            "Reading content needs an active, approved access grant covering this item."
        )
    text, documents = _stored_content(item)
    audit(
        actor=user,
        action="content.viewed",
        target=item,
        resource=item.resource,
        grant=grant,
        ip=ip,
        details={"break_glass": grant.break_glass},
    )
    return ItemContent(text, documents, grant.pk, purged=text is None and documents is None)


def content_for_automated_review(item: FlaggedItem) -> ItemContent:
    """The automated reviewer (a machine, no person sees it) reads content here; audited too."""
    text, documents = _stored_content(item)
    audit(actor=None, action="content.automated_review", target=item, resource=item.resource)
    return ItemContent(text, documents, None, purged=text is None and documents is None)


def _stored_content(item: FlaggedItem) -> tuple[str | None, list[str] | None]:
    from .models import ClassificationEvent

    row = ClassificationEvent.objects.filter(pk=item.event_id).values("content", "documents")
    stored = row.first()
    if stored is None:
        return None, None
    return stored["content"], stored["documents"]
