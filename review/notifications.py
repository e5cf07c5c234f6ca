"""Emails of abuse monitoring and just-in-time access. Never any content, only metadata and links.

Action functions call these through ``transaction.on_commit``, so nobody is told about a change
that was rolled back. Django's mail backend decides delivery (console in development).
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from guardsite.models import Membership, Resource


def _send(subject: str, body: str, recipients: Iterable[str]) -> None:
    to = sorted({address for address in recipients if address})
    if to:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)


def _emails_of_role(resource: Resource, role: str, *, exclude: Any = None) -> list[str]:
    members = Membership.objects.filter(resource=resource, role=role, user__is_active=True)
    if exclude is not None:
        members = members.exclude(user=exclude)
    return list(members.values_list("user__email", flat=True))


def manager_emails(resource: Resource, *, exclude: Any = None) -> list[str]:
    return _emails_of_role(resource, Membership.Role.REVIEW_MANAGER, exclude=exclude)


def owner_emails(resource: Resource) -> list[str]:
    return _emails_of_role(resource, Membership.Role.OWNER)


def user_email(user_id: Any) -> list[str]:
    user = get_user_model().objects.filter(pk=user_id).first()
    return [user.email] if user is not None and user.email else []


def access_requested(access_request_id: Any) -> None:
    from .models import AccessRequest

    request = AccessRequest.objects.select_related("requester", "resource").get(
        pk=access_request_id
    )
    _send(
        f"[Guardsite] Access request from {request.requester} on {request.resource}",
        f"{request.requester} asks for {request.requested_minutes} minutes of access to content "
        f"(scope: {request.get_scope_display()}) on resource {request.resource}.\n\n"
        f"Justification: {request.justification}\n\n"
        f"Approve or deny it (request {request.pk}); it expires unanswered at "
        f"{request.request_expires_at:%Y-%m-%d %H:%M} UTC.",
        manager_emails(request.resource, exclude=request.requester),
    )


def access_decided(access_request_id: Any) -> None:
    from .models import AccessRequest

    request = AccessRequest.objects.select_related("resource").get(pk=access_request_id)
    if request.status == AccessRequest.Status.APPROVED:
        detail = (
            f"approved for {request.granted_minutes} minutes, "
            f"until {request.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    else:
        detail = request.get_status_display().lower()
    reason = f"\n\nReason: {request.decision_reason}" if request.decision_reason else ""
    _send(
        f"[Guardsite] Your access request on {request.resource} was {request.status}",
        f"Your access request {request.pk} on {request.resource} was {detail}.{reason}",
        user_email(request.requester_id),
    )


def break_glass_used(access_request_id: Any) -> None:
    from .models import AccessRequest

    request = AccessRequest.objects.select_related("requester", "resource").get(
        pk=access_request_id
    )
    _send(
        f"[Guardsite] ALERT: break-glass access by {request.requester} on {request.resource}",
        f"{request.requester} opened emergency access to content on {request.resource} for "
        f"{request.granted_minutes} minutes without an approval.\n\n"
        f"Justification: {request.justification}\n\n"
        f"This use is flagged for review: mark it reviewed once checked (grant {request.pk}).",
        manager_emails(request.resource, exclude=request.requester),
    )


def items_escalated(resource_id: Any, count: int) -> None:
    resource = Resource.objects.get(pk=resource_id)
    _send(
        f"[Guardsite] {count} flagged items on {resource} are waiting too long",
        f"{count} items in the human review queue of {resource} passed the age limit and were "
        "escalated.",
        manager_emails(resource),
    )


def abuse_confirmed(action_id: Any) -> None:
    from .models import EnforcementAction

    action = EnforcementAction.objects.select_related("resource").get(pk=action_id)
    resource = action.resource
    if action.kind == EnforcementAction.Kind.NOTICE:
        consequence = (
            "Please explain or remediate the behaviour, and put in place measures that prevent it "
            f"from recurring, before {action.remediation_deadline:%Y-%m-%d %H:%M} UTC. Reply to "
            "this notice in Guardsite; without an answer by then the resource will be suspended."
        )
    else:
        consequence = (
            f"Because the abuse is {'severe' if action.severe else 'recurring'}, the resource's "
            f"runtime access is now {resource.status}. You may appeal this decision once."
        )
    _send(
        f"[Guardsite] Abuse confirmed on {resource}",
        f"Our abuse monitoring confirmed a pattern of use of {resource} that violates the code "
        f"of conduct.\n\nReason: {action.reason}\n\n{consequence}\n\nReference: {action.pk}",
        owner_emails(resource),
    )


def remediation_missed(action_id: Any) -> None:
    from .models import EnforcementAction

    action = EnforcementAction.objects.select_related("resource").get(pk=action_id)
    _send(
        f"[Guardsite] {action.resource} is suspended",
        f"The remediation deadline of notice {action.pk} passed without an answer, so the "
        f"runtime access of {action.resource} is suspended. You may appeal this decision once.",
        owner_emails(action.resource),
    )


def appeal_decided(appeal_id: Any) -> None:
    from .models import Appeal

    appeal = Appeal.objects.select_related("action__resource").get(pk=appeal_id)
    _send(
        f"[Guardsite] Your appeal on {appeal.action.resource} was {appeal.status}",
        f"Your appeal of action {appeal.action_id} was {appeal.status}."
        + (f"\n\nReason: {appeal.decision_reason}" if appeal.decision_reason else ""),
        owner_emails(appeal.action.resource),
    )
