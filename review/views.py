"""The review pages: the human queue and item page, just-in-time access, cases, notices and
appeals, dashboards and the audit log.

Views stay small: they resolve objects through the helpers below (404 for another tenant's
object, 403 for a role too weak), change state only through review.actions and review.access,
and answer htmx with a named partial of the same template. Content is read in exactly one place,
``reveal``, through ``review.access.content_for``, which checks the grant and writes the audit
row; no other view or template ever receives content.
"""

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guardsite.access import get_resource_for_user, is_staff, role_of, visible_resources
from guardsite.models import Membership, Resource
from guardsite.page_views import add_action_errors, full_redirect, paginate, render_page

from . import access, actions, services
from .access import CONFLICT_CODES, active_grant_for, client_ip, content_for
from .forms import (
    AccessRequestForm,
    AppealDecisionForm,
    ApproveForm,
    AuditFilterForm,
    BreakGlassForm,
    BulkForm,
    CorrectForm,
    DashboardForm,
    DecisionForm,
    DismissForm,
    NoteForm,
    ReasonForm,
    RequiredReasonForm,
    SanctionForm,
    TextForm,
)
from .models import (
    AbuseCase,
    AccessRequest,
    Appeal,
    AuditLogEntry,
    EnforcementAction,
    FlaggedItem,
)

Role = Membership.Role
SEVERITY_BANDS = (("low (0–3)", 0, 3), ("medium (4–5)", 4, 5), ("high (6–7)", 6, 7))
# What each stored score component means, in the words of docs/abuse-score.md.
COMPONENT_EXPLANATIONS = {
    "frequency": "2 · ln(1 + Σ w): more harmful content scores higher, with diminishing returns.",
    "severity": "3 · Σ w · (s/7)²: quadratic, so one high-severity item outweighs several low.",
    "intentionality": "2 · max(0, Σ attacks w − 1): recurring prompt attacks show intent.",
    "trend_multiplier": "clamp(1 + 0.5 · log2((r+1)/(b+1)), 1, 2): a rising rate scores higher.",
    "decayed_count": "Σ w: items weighed by age (half-life below).",
    "decayed_attacks": "Σ w over items with a prompt attack.",
    "recent_count": "r: items in the last 24 hours.",
    "baseline_per_day": "b: the average per day over the rest of the window.",
    "window_days": "Items older than this are not counted.",
    "half_life_hours": "An item's weight halves every this many hours.",
    "items": "Items counted (dismissed items do not count).",
}


# --- Access helpers: the object, or 404 (another tenant) / 403 (a role too weak) ---------------


def _reviewer_resource(request: HttpRequest, resource_id: Any) -> Resource:
    resource = get_resource_for_user(request.user, resource_id)
    access.require_reviewer(request.user, resource)
    return resource


def _get_item_for_reviewer(request: HttpRequest, item_id: Any) -> FlaggedItem:
    item = get_object_or_404(
        FlaggedItem.objects.select_related("resource", "claimed_by", "decided_by", "case"),
        pk=item_id,
        resource__in=visible_resources(request.user),
    )
    access.require_reviewer(request.user, item.resource)
    return item


def _get_case_for_reviewer(request: HttpRequest, case_id: Any) -> AbuseCase:
    case = get_object_or_404(
        AbuseCase.objects.select_related("resource", "decided_by"),
        pk=case_id,
        resource__in=visible_resources(request.user),
    )
    access.require_reviewer(request.user, case.resource)
    return case


def _get_access_request(request: HttpRequest, request_id: Any) -> AccessRequest:
    """A request the user may act on: their own, or one on a resource they belong to (the
    action function then decides whether their role may approve, deny or revoke it)."""
    return get_object_or_404(
        AccessRequest.objects.select_related("resource", "requester", "case"),
        Q(requester=request.user) | Q(resource__in=visible_resources(request.user)),
        pk=request_id,
    )


def _get_notice(request: HttpRequest, action_id: Any) -> EnforcementAction:
    """Enforcement actions are for the resource's owners, review managers and staff."""
    notice = get_object_or_404(
        EnforcementAction.objects.select_related("resource", "case"),
        pk=action_id,
        resource__in=visible_resources(request.user),
    )
    if not (is_staff(request.user) or role_of(request.user, notice.resource) in NOTICE_ROLES):
        raise PermissionDenied("Only the resource's owners and review managers see its notices.")
    return notice


NOTICE_ROLES = (Role.OWNER, Role.REVIEW_MANAGER)


def _managed_resources(user: Any) -> QuerySet[Resource]:
    if is_staff(user):
        return Resource.objects.all()
    return Resource.objects.filter(
        memberships__user=user, memberships__role=Role.REVIEW_MANAGER
    ).distinct()


def _require_any_review_role(user: Any) -> None:
    if not services.review_resources(user).exists():
        raise PermissionDenied("Only reviewers, review managers and staff use the review pages.")


def _is_conflict(exc: ValidationError) -> bool:
    return getattr(exc, "code", None) in CONFLICT_CODES


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


# --- The human queue ---------------------------------------------------------------------------


def _queue_rows(user: Any, items: QuerySet[FlaggedItem]) -> QuerySet[FlaggedItem]:
    return items.select_related("resource", "claimed_by", "case")


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Every resource the user reviews: its counts, then the combined queue."""
    _require_any_review_role(request.user)
    resources = actions.reviewable_resources(request.user).order_by("name")
    now = timezone.now()
    pending = Q(flagged_items__status="pending", flagged_items__stage="human")
    summary = resources.annotate(
        pending=Count("flagged_items", filter=pending),
        claimed=Count("flagged_items", filter=pending & Q(flagged_items__claim_expires_at__gt=now)),
        escalated=Count(
            "flagged_items", filter=pending & Q(flagged_items__escalated_at__isnull=False)
        ),
    )
    page = paginate(request, _queue_rows(request.user, actions.human_queue(request.user)))
    context = {
        "summary": summary,
        "page": page,
        "health": services.queue_health(resources=resources),
        "now": now,
    }
    return render_page(request, "review/queue.html", context, partial="table")


def _queue_page(
    request: HttpRequest,
    resource: Resource,
    *,
    status: int = 200,
    bulk_form: BulkForm | None = None,
) -> HttpResponse:
    items = _queue_rows(request.user, actions.human_queue(request.user, resource))
    context = {
        "resource": resource,
        "page": paginate(request, items),
        "health": services.queue_health(resource),
        "is_manager": access.is_review_manager(request.user, resource),
        "bulk_form": bulk_form,
        "grant": access.active_grants(request.user, resource).order_by("-expires_at").first(),
        "human_review": access.human_review_allowed(resource),
        "now": timezone.now(),
    }
    return render_page(
        request, "review/resource_queue.html", context, partial="table", status=status
    )


@require_GET
@login_required
def resource_queue(request: HttpRequest, resource_id: Any) -> HttpResponse:
    return _queue_page(request, _reviewer_resource(request, resource_id))


@require_POST
@login_required
def claim_next(request: HttpRequest, resource_id: Any = None) -> HttpResponse:
    """Claim the first unclaimed item, priority then oldest first, and open it."""
    resource = _reviewer_resource(request, resource_id) if resource_id else None
    if resource is None:
        _require_any_review_role(request.user)
    item = actions.claim_next_item(acting_user=request.user, resource=resource)
    if item is None:
        messages.info(request, "The queue is empty: nothing to claim.")
        if resource is not None:
            return full_redirect(request, "review:resource_queue", resource.pk)
        return full_redirect(request, "review:queue")
    return full_redirect(request, "review:item", item.pk)


@require_POST
@login_required
def bulk(request: HttpRequest, resource_id: Any) -> HttpResponse:
    """Review managers confirm, dismiss or release many pending items of one resource."""
    resource = _reviewer_resource(request, resource_id)
    access.require_review_manager(request.user, resource)
    pending = actions.human_queue(request.user, resource)
    form = BulkForm(request.POST, item_ids=[str(pk) for pk in pending.values_list("pk", flat=True)])
    if not form.is_valid():
        return _queue_page(request, resource, status=400, bulk_form=form)
    data = form.cleaned_data
    try:
        result = actions.bulk_decide(
            pending.filter(pk__in=data["items"]).select_related("resource", "case"),
            decision=data["decision"],
            reason=data["reason"],
            acting_user=request.user,
            ip=client_ip(request),
        )
    except ValidationError as exc:
        add_action_errors(form, exc)
        return _queue_page(request, resource, status=400, bulk_form=form)
    done, skipped = len(result["done"]), len(result["skipped"])
    note = f" ({skipped} changed meanwhile and were skipped)" if skipped else ""
    messages.success(request, f"{data['decision'].capitalize()}: {done} items{note}.")
    return full_redirect(request, "review:resource_queue", resource.pk)


# --- One item ----------------------------------------------------------------------------------


def _neighbours(user: Any, item: FlaggedItem) -> tuple[Any, Any]:
    """The previous and next items of the resource's queue, for j/k."""
    pks = list(actions.human_queue(user, item.resource).values_list("pk", flat=True)[:500])
    if item.pk not in pks:
        return None, (pks[0] if pks else None)
    index = pks.index(item.pk)
    previous = pks[index - 1] if index > 0 else None
    following = pks[index + 1] if index + 1 < len(pks) else None
    return previous, following


def _item_page(
    request: HttpRequest,
    item: FlaggedItem,
    *,
    partial: str | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    user: Any = request.user
    now = timezone.now()
    claim_live = item.claimed_by_id is not None and (
        item.claim_expires_at is None or item.claim_expires_at > now
    )
    pending = item.status == FlaggedItem.Status.PENDING and item.stage == FlaggedItem.Stage.HUMAN
    previous, following = _neighbours(user, item)
    initial = {"version": item.version}
    context = {
        "resource": item.resource,
        "item": item,
        "pending": pending,
        "claimed_by_me": pending and claim_live and item.claimed_by_id == user.pk,
        "claimed_by_other": pending and claim_live and item.claimed_by_id != user.pk,
        "is_manager": access.is_review_manager(user, item.resource),
        # Whether to offer "reveal" or "request access": no content is read here.
        "grant": active_grant_for(user, item),
        "human_review": access.human_review_allowed(item.resource),
        "history": item.history.select_related("actor"),
        "notes": item.notes.select_related("author"),
        "previous_pk": previous,
        "next_pk": following,
        "confirm_form": DecisionForm(initial=initial),
        "correct_form": CorrectForm(
            initial={**initial, "category": item.category, "severity": item.severity}
        ),
        "dismiss_form": DismissForm(initial=initial),
        "note_form": NoteForm(),
        "now": now,
        **extra,
    }
    response = render_page(request, "review/item.html", context, partial=partial, status=status)
    return _no_store(response)


@require_GET
@login_required
def item_detail(request: HttpRequest, item_id: Any) -> HttpResponse:
    return _item_page(request, _get_item_for_reviewer(request, item_id))


@require_POST
@login_required
def reveal(request: HttpRequest, item_id: Any) -> HttpResponse:
    """The one view that shows content: content_for checks the grant now and audits the read.

    Without a grant the answer is the metadata and a request-access link. htmx gets it with 200
    because the site's htmx config does not swap 403s, and the reviewer must see why.
    """
    item = _get_item_for_reviewer(request, item_id)
    try:
        shown = content_for(request.user, item, request=request)
    except PermissionDenied:
        status = 200 if getattr(request, "htmx", False) else 403
        return _item_page(request, item, partial="content", status=status, refused=True)
    return _item_page(request, item, partial="content", shown=shown)


@require_POST
@login_required
def claim(request: HttpRequest, item_id: Any) -> HttpResponse:
    item = _get_item_for_reviewer(request, item_id)
    try:
        actions.claim_item(item, acting_user=request.user)
    except ValidationError as exc:
        item.refresh_from_db()
        return _item_page(request, item, status=409, conflict=exc.messages[0])
    return full_redirect(request, "review:item", item.pk)


@require_POST
@login_required
def release(request: HttpRequest, item_id: Any) -> HttpResponse:
    item = _get_item_for_reviewer(request, item_id)
    try:
        actions.release_item(item, acting_user=request.user)
    except ValidationError as exc:
        item.refresh_from_db()
        return _item_page(request, item, status=409, conflict=exc.messages[0])
    messages.success(request, "Released: the item is back in the queue.")
    return full_redirect(request, "review:resource_queue", item.resource_id)


def _decide(
    request: HttpRequest, item_id: Any, form_class: type, form_name: str, act: Any, done: str
) -> HttpResponse:
    """Shared by confirm, correct and dismiss: validate, act, and on success back to the queue
    (the decided item has left it). A lost claim or a stale page answers 409."""
    item = _get_item_for_reviewer(request, item_id)
    form = form_class(request.POST)
    if not form.is_valid():
        return _item_page(request, item, status=400, **{form_name: form})
    try:
        act(item, form.cleaned_data)
    except ValidationError as exc:
        item.refresh_from_db()
        if _is_conflict(exc):
            return _item_page(request, item, status=409, conflict=exc.messages[0])
        add_action_errors(form, exc)
        return _item_page(request, item, status=400, **{form_name: form})
    messages.success(request, done)
    return full_redirect(request, "review:resource_queue", item.resource_id)


@require_POST
@login_required
def confirm(request: HttpRequest, item_id: Any) -> HttpResponse:
    def act(item: FlaggedItem, data: dict) -> None:
        actions.confirm_item(
            item,
            acting_user=request.user,
            reason=data["reason"],
            version=data["version"],
            ip=client_ip(request),
        )

    return _decide(request, item_id, DecisionForm, "confirm_form", act, "Confirmed.")


@require_POST
@login_required
def correct(request: HttpRequest, item_id: Any) -> HttpResponse:
    def act(item: FlaggedItem, data: dict) -> None:
        actions.correct_item(
            item,
            category=data["category"],
            severity=data["severity"],
            acting_user=request.user,
            reason=data["reason"],
            version=data["version"],
            ip=client_ip(request),
        )

    return _decide(request, item_id, CorrectForm, "correct_form", act, "Corrected.")


@require_POST
@login_required
def dismiss(request: HttpRequest, item_id: Any) -> HttpResponse:
    def act(item: FlaggedItem, data: dict) -> None:
        actions.dismiss_item(
            item,
            acting_user=request.user,
            reason=data["reason"],
            version=data["version"],
            ip=client_ip(request),
        )

    return _decide(request, item_id, DismissForm, "dismiss_form", act, "Dismissed.")


@require_POST
@login_required
def add_note(request: HttpRequest, item_id: Any) -> HttpResponse:
    item = _get_item_for_reviewer(request, item_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            actions.add_note(item, text=form.cleaned_data["text"], acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc)
    if not form.is_valid() or form.errors:
        return _item_page(request, item, partial="notes", status=400, note_form=form)
    if getattr(request, "htmx", False):
        return _item_page(request, item, partial="notes")
    messages.success(request, "Note added.")
    return redirect("review:item", item.pk)


# --- Just-in-time access -----------------------------------------------------------------------


@require_GET
@login_required
def my_access(request: HttpRequest) -> HttpResponse:
    return _my_access_page(request)


def _my_access_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    """My requests and grants, with the time left on the active ones."""
    now = timezone.now()
    user: Any = request.user
    mine = AccessRequest.objects.filter(requester=user).select_related(
        "resource", "case", "decided_by"
    )
    active = mine.filter(status=AccessRequest.Status.APPROVED, expires_at__gt=now)
    context = {
        "active": active.order_by("expires_at"),
        "pending": mine.filter(status=AccessRequest.Status.PENDING).order_by("-created_at"),
        "history": paginate(request, mine.exclude(pk__in=active).exclude(status="pending")),
        "resources": actions.reviewable_resources(request.user).order_by("name"),
        "can_break_glass": bool(
            (profile := access.profile_of(request.user)) and profile.can_break_glass
        ),
        "now": now,
        **extra,
    }
    return render(request, "review/my_access.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def request_access(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = _reviewer_resource(request, resource_id)
    cap = access.max_minutes_for(request.user, resource)
    if request.method == "GET":
        initial = {key: request.GET[key] for key in ("scope", "case") if request.GET.get(key)}
        form = AccessRequestForm(initial=initial, resource=resource, cap=cap)
        return render(request, "review/request_access.html", {"form": form, "resource": resource})
    form = AccessRequestForm(request.POST, resource=resource, cap=cap)
    if form.is_valid():
        data = form.cleaned_data
        try:
            access.request_access(
                resource,
                scope=data["scope"],
                case=data["case"],
                justification=data["justification"],
                duration_minutes=data["duration_minutes"],
                acting_user=request.user,
                ip=client_ip(request),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, "Requested. A review manager of the resource will decide.")
            return redirect("review:my_access")
    context = {"form": form, "resource": resource}
    return render(request, "review/request_access.html", context, status=400)


def _approvals_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    managed = _managed_resources(request.user)
    if not managed.exists():
        raise PermissionDenied("Only review managers decide access requests.")
    now = timezone.now()
    on_managed = AccessRequest.objects.filter(resource__in=managed).select_related(
        "resource", "requester", "case", "decided_by"
    )
    context = {
        "pending": on_managed.filter(
            status=AccessRequest.Status.PENDING, request_expires_at__gt=now
        ).order_by("created_at"),
        "active": on_managed.filter(
            status=AccessRequest.Status.APPROVED, expires_at__gt=now
        ).order_by("expires_at"),
        "break_glass": on_managed.filter(break_glass=True, post_reviewed_at__isnull=True),
        "now": now,
        **extra,
    }
    return render(request, "review/approvals.html", context, status=status)


@require_GET
@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    return _approvals_page(request)


def _access_change(
    request: HttpRequest, request_id: Any, form_class: type, act: Any, done: str
) -> HttpResponse:
    """Approve, deny, revoke or mark reviewed: the access function checks who may."""
    access_request = _get_access_request(request, request_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(access_request, form.cleaned_data)
        except ValidationError as exc:
            if _is_conflict(exc):
                return _back_from_access(request, access_request, 409, exc.messages[0])
            add_action_errors(form, exc)
        else:
            messages.success(request, done)
            return _back_from_access(request, access_request)
    errors = [str(message) for messages_ in form.errors.values() for message in messages_]
    return _back_from_access(request, access_request, 400, " ".join(errors))


def _back_from_access(
    request: HttpRequest, access_request: AccessRequest, status: int = 302, error: str = ""
) -> HttpResponse:
    own = access_request.requester_id == request.user.pk
    if status == 302:
        return redirect("review:my_access" if own else "review:approvals")
    if own and not access.is_review_manager(request.user, access_request.resource):
        return _my_access_page(request, status=status, error=error)
    return _approvals_page(request, status=status, error=error, error_for=access_request.pk)


@require_POST
@login_required
def approve(request: HttpRequest, request_id: Any) -> HttpResponse:
    def act(access_request: AccessRequest, data: dict) -> None:
        access.approve_access_request(
            access_request,
            acting_user=request.user,
            duration_minutes=data["duration_minutes"],
            reason=data["reason"],
            ip=client_ip(request),
        )

    return _access_change(request, request_id, ApproveForm, act, "Approved.")


@require_POST
@login_required
def deny(request: HttpRequest, request_id: Any) -> HttpResponse:
    def act(access_request: AccessRequest, data: dict) -> None:
        access.deny_access_request(
            access_request, acting_user=request.user, reason=data["reason"], ip=client_ip(request)
        )

    return _access_change(request, request_id, RequiredReasonForm, act, "Denied.")


@require_POST
@login_required
def revoke(request: HttpRequest, request_id: Any) -> HttpResponse:
    def act(grant: AccessRequest, data: dict) -> None:
        access.revoke_grant(
            grant, acting_user=request.user, reason=data["reason"], ip=client_ip(request)
        )

    return _access_change(request, request_id, ReasonForm, act, "Revoked: access ended now.")


@require_POST
@login_required
def cancel(request: HttpRequest, request_id: Any) -> HttpResponse:
    def act(access_request: AccessRequest, data: dict) -> None:
        access.cancel_access_request(
            access_request, acting_user=request.user, ip=client_ip(request)
        )

    return _access_change(request, request_id, ReasonForm, act, "Cancelled.")


@require_POST
@login_required
def mark_reviewed(request: HttpRequest, request_id: Any) -> HttpResponse:
    def act(grant: AccessRequest, data: dict) -> None:
        access.mark_break_glass_reviewed(
            grant, acting_user=request.user, notes=data["reason"], ip=client_ip(request)
        )

    return _access_change(request, request_id, ReasonForm, act, "Marked reviewed.")


@require_POST
@login_required
def extend(request: HttpRequest, request_id: Any) -> HttpResponse:
    """Ask for more time: a new request that needs its own approval; the grant runs on."""
    grant = get_object_or_404(AccessRequest, pk=request_id, requester=request.user)
    cap = access.max_minutes_for(request.user, grant.resource)
    form = AccessRequestForm(
        {**request.POST.dict(), "scope": grant.scope}, resource=grant.resource, cap=cap
    )
    error = ""
    if form.is_valid():
        try:
            access.request_extension(
                grant,
                justification=form.cleaned_data["justification"],
                duration_minutes=form.cleaned_data["duration_minutes"],
                acting_user=request.user,
                ip=client_ip(request),
            )
        except ValidationError as exc:
            if _is_conflict(exc):
                return _my_access_page(request, status=409, error=exc.messages[0])
            error = " ".join(exc.messages)
        else:
            messages.success(request, "Extension requested: a review manager decides.")
            return redirect("review:my_access")
    errors = [str(text) for texts in form.errors.values() for text in texts]
    return _my_access_page(request, status=400, error=error or " ".join(errors))


@require_http_methods(["GET", "POST"])
@login_required
def break_glass(request: HttpRequest) -> HttpResponse:
    """Emergency access for designated accounts only; everyone else gets 403."""
    profile = access.profile_of(request.user)
    if profile is None or not profile.can_break_glass:
        raise PermissionDenied("Your account is not designated for break-glass access.")
    resources = actions.reviewable_resources(request.user).order_by("name")
    form = BreakGlassForm(request.POST or None, resources=resources)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = access.break_glass(
                data["resource"],
                scope=data["scope"],
                justification=data["justification"],
                acting_user=request.user,
                ip=client_ip(request),
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.warning(
                request,
                f"Break-glass access to {grant.resource.name} is open for "
                f"{grant.granted_minutes} minutes. Review managers were alerted.",
            )
            return redirect("review:resource_queue", grant.resource_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "review/break_glass.html", {"form": form}, status=status)


# --- The audit log ---------------------------------------------------------------------------


def _audit_entries(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditLogEntry]]:
    """Staff see the whole log; review managers their resources' entries; others 403."""
    managed = _managed_resources(request.user)
    if not managed.exists():
        raise PermissionDenied("Only review managers and staff read the audit log.")
    form = AuditFilterForm(request.GET or None, resources=managed.order_by("name"))
    entries = AuditLogEntry.objects.select_related("resource")
    if not is_staff(request.user):
        entries = entries.filter(resource__in=managed)
    if form.is_bound and not form.is_valid():
        return form, entries.none()
    data = form.cleaned_data if form.is_bound else {}
    if data.get("resource"):
        entries = entries.filter(resource=data["resource"])
    for field, lookup in (
        ("action", "action__startswith"),
        ("actor", "actor_repr"),
        ("target_id", "target_id"),
        ("since", "created_at__date__gte"),
        ("until", "created_at__date__lte"),
    ):
        if data.get(field):
            entries = entries.filter(**{lookup: data[field]})
    return form, entries


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form, entries = _audit_entries(request)
    context = {"form": form, "page": paginate(request, entries, per_page=50)}
    status = 400 if form.errors else 200
    return render_page(request, "review/audit_log.html", context, partial="table", status=status)


@require_GET
@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    form, entries = _audit_entries(request)
    if form.errors:
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    response = HttpResponse(services.audit_csv(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="review-audit-log.csv"'
    return _no_store(response)


# --- Cases, notices and appeals ----------------------------------------------------------------


@require_GET
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    _require_any_review_role(request.user)
    cases = (
        AbuseCase.objects.filter(resource__in=services.review_resources(request.user))
        .select_related("resource")
        .annotate(item_count=Count("items"))
        .order_by("-opened_at")
    )
    status_filter = request.GET.get("status", "")
    if status_filter in AbuseCase.Status.values:
        cases = cases.filter(status=status_filter)
    context = {
        "page": paginate(request, cases),
        "status_filter": status_filter,
        "statuses": AbuseCase.Status.choices,
    }
    return render_page(request, "review/case_list.html", context, partial="table")


def _case_page(
    request: HttpRequest, case: AbuseCase, *, status: int = 200, **extra: Any
) -> HttpResponse:
    components = [
        (name, value, COMPONENT_EXPLANATIONS.get(name, ""))
        for name, value in (case.components or {}).items()
    ]
    context = {
        "case": case,
        "resource": case.resource,
        "components": components,
        "items": case.items.select_related("claimed_by").order_by("-severity", "created_at"),
        "notices": case.actions.prefetch_related("replies__author").select_related("appeal"),
        "is_manager": access.is_review_manager(request.user, case.resource),
        "reason_form": extra.pop("reason_form", RequiredReasonForm()),
        "sanction_form": extra.pop("sanction_form", SanctionForm()),
        **extra,
    }
    return render(request, "review/case_detail.html", context, status=status)


@require_GET
@login_required
def case_detail(request: HttpRequest, case_id: Any) -> HttpResponse:
    return _case_page(request, _get_case_for_reviewer(request, case_id))


def _case_change(
    request: HttpRequest, case_id: Any, form_class: type, form_name: str, act: Any, done: str
) -> HttpResponse:
    case = _get_case_for_reviewer(request, case_id)
    access.require_review_manager(request.user, case.resource)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(case, form.cleaned_data)
        except ValidationError as exc:
            case.refresh_from_db()
            if _is_conflict(exc):
                return _case_page(request, case, status=409, conflict=exc.messages[0])
            add_action_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("review:case", case.pk)
    return _case_page(request, case, status=400, **{form_name: form})


@require_POST
@login_required
def case_confirm(request: HttpRequest, case_id: Any) -> HttpResponse:
    def act(case: AbuseCase, data: dict) -> None:
        actions.confirm_case(case, acting_user=request.user, reason=data["reason"])

    done = "Case confirmed: the owners were notified and enforcement followed."
    return _case_change(request, case_id, ReasonForm, "confirm_form", act, done)


@require_POST
@login_required
def case_dismiss(request: HttpRequest, case_id: Any) -> HttpResponse:
    def act(case: AbuseCase, data: dict) -> None:
        actions.dismiss_case(case, acting_user=request.user, reason=data["reason"])

    return _case_change(request, case_id, RequiredReasonForm, "reason_form", act, "Dismissed.")


@require_POST
@login_required
def case_sanction(request: HttpRequest, case_id: Any) -> HttpResponse:
    def act(case: AbuseCase, data: dict) -> None:
        actions.sanction_resource(
            case.resource,
            kind=data["kind"],
            reason=data["reason"],
            case=case,
            acting_user=request.user,
        )

    done = "Sanction applied; the owners were notified."
    return _case_change(request, case_id, SanctionForm, "sanction_form", act, done)


@require_GET
@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    """The owner's view of enforcement (and the managers' and staff's)."""
    user: Any = request.user
    notices = EnforcementAction.objects.select_related("resource", "appeal").order_by("-created_at")
    if not is_staff(user):
        notices = notices.filter(
            resource__memberships__user=user,
            resource__memberships__role__in=NOTICE_ROLES,
        )
    appeals = Appeal.objects.filter(
        status=Appeal.Status.PENDING, action__in=notices.values("pk")
    ).select_related("action__resource")
    context = {
        "page": paginate(request, notices),
        "pending_appeals": appeals if _managed_resources(request.user).exists() else [],
    }
    return render(request, "review/notice_list.html", context)


def _notice_page(
    request: HttpRequest, notice: EnforcementAction, *, status: int = 200, **extra: Any
) -> HttpResponse:
    appeal = Appeal.objects.filter(action=notice).select_related("appellant").first()
    user: Any = request.user
    context = {
        "notice": notice,
        "resource": notice.resource,
        "replies": notice.replies.select_related("author"),
        "appeal": appeal,
        "is_owner": role_of(user, notice.resource) == Role.OWNER,
        "is_manager": access.is_review_manager(user, notice.resource),
        "reply_form": extra.pop("reply_form", TextForm()),
        "appeal_form": extra.pop("appeal_form", TextForm()),
        "decision_form": extra.pop("decision_form", AppealDecisionForm()),
        **extra,
    }
    return render(request, "review/notice_detail.html", context, status=status)


@require_GET
@login_required
def notice_detail(request: HttpRequest, action_id: Any) -> HttpResponse:
    return _notice_page(request, _get_notice(request, action_id))


def _notice_change(
    request: HttpRequest, action_id: Any, form_class: type, form_name: str, act: Any, done: str
) -> HttpResponse:
    notice = _get_notice(request, action_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(notice, form.cleaned_data)
        except ValidationError as exc:
            if _is_conflict(exc):
                return _notice_page(request, notice, status=409, conflict=exc.messages[0])
            add_action_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("review:notice", notice.pk)
    return _notice_page(request, notice, status=400, **{form_name: form})


@require_POST
@login_required
def notice_reply(request: HttpRequest, action_id: Any) -> HttpResponse:
    def act(notice: EnforcementAction, data: dict) -> None:
        actions.reply_to_action(notice, text=data["text"], acting_user=request.user)

    return _notice_change(request, action_id, TextForm, "reply_form", act, "Reply sent.")


@require_POST
@login_required
def notice_appeal(request: HttpRequest, action_id: Any) -> HttpResponse:
    def act(notice: EnforcementAction, data: dict) -> None:
        actions.file_appeal(notice, text=data["text"], acting_user=request.user)

    return _notice_change(request, action_id, TextForm, "appeal_form", act, "Appeal filed.")


@require_POST
@login_required
def notice_resolve(request: HttpRequest, action_id: Any) -> HttpResponse:
    def act(notice: EnforcementAction, data: dict) -> None:
        actions.resolve_action(notice, acting_user=request.user, reason=data["reason"])

    return _notice_change(request, action_id, ReasonForm, "resolve_form", act, "Notice resolved.")


@require_POST
@login_required
def appeal_decide(request: HttpRequest, action_id: Any) -> HttpResponse:
    def act(notice: EnforcementAction, data: dict) -> None:
        appeal = get_object_or_404(Appeal, action=notice)
        actions.decide_appeal(
            appeal,
            approve=data["decision"] == "approve",
            acting_user=request.user,
            reason=data["reason"],
        )

    done = "Appeal decided."
    return _notice_change(request, action_id, AppealDecisionForm, "decision_form", act, done)


# --- Dashboards ------------------------------------------------------------------------------


def _chart_data(data: dict, days: int) -> dict:
    """Reshape services.dashboard_data into Chart.js series: one point per day, zeros filled."""
    today = timezone.now().date()
    labels = [(today - timedelta(days=offset)).isoformat() for offset in range(days, -1, -1)]
    index = {day: position for position, day in enumerate(labels)}
    by_category: dict[str, list[int]] = defaultdict(lambda: [0] * len(labels))
    by_band: dict[str, list[int]] = {name: [0] * len(labels) for name, _, _ in SEVERITY_BANDS}
    for row in data["flagged_by_day"]:
        position = index.get(row["day"])
        if position is None:
            continue
        by_category[row["category"]][position] += row["count"]
        band = next(name for name, low, high in SEVERITY_BANDS if low <= row["severity"] <= high)
        by_band[band][position] += row["count"]
    queue_health = data["queue"]
    return {
        "days": labels,
        "by_category": dict(sorted(by_category.items())),
        "by_severity": by_band,
        "ageing": queue_health["ageing"],
        "throughput": {row["reviewer"]: row["decisions"] for row in queue_health["throughput_7d"]},
    }


def _totals(data: dict) -> list[tuple[str, int, int]]:
    """(category, flagged, of them high severity) for the table under the charts."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in data["flagged_by_day"]:
        totals[row["category"]][0] += row["count"]
        if row["severity"] >= SEVERITY_BANDS[-1][1]:
            totals[row["category"]][1] += row["count"]
    return [(name, flagged, high) for name, (flagged, high) in sorted(totals.items())]


def _dashboard(request: HttpRequest, resource: Resource | None) -> HttpResponse:
    form = DashboardForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        days = 30
        status = 400
    else:
        days = (form.cleaned_data["days"] if form.is_bound else None) or 30
        status = 200
    data = services.dashboard_data(request.user, resource, days=days)
    context = {
        "resource": resource,
        "form": form,
        "days": days,
        "data": data,
        "chart": _chart_data(data, days),
        "totals": _totals(data),
        "today": date.today(),
    }
    return render(request, "review/dashboard.html", context, status=status)


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_any_review_role(request.user)
    return _dashboard(request, None)


@require_GET
@login_required
def resource_dashboard(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = get_resource_for_user(request.user, resource_id)
    if not access.is_eligible_reviewer(request.user, resource):
        raise PermissionDenied("Only reviewers see review dashboards.")
    return _dashboard(request, resource)
