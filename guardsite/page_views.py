"""Resource pages (overview, activity) and the small helpers every HTML view shares.

Views stay small: resolve the resource through guardsite.access (404 for outsiders, 403 for weak
roles), call an action function for any change, and answer htmx requests with a named partial of
the same template so a page works the same with and without JavaScript.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from filters.config import config_diff

from .access import (
    CONFIG_EDITORS,
    can_admin_resource,
    get_resource_for_user,
    is_staff,
    require_admin_resource,
    require_edit_config,
    role_of,
)
from .actions import add_member, change_member_role, remove_member
from .models import ActivityEntry, Membership, Resource

PAGE_SIZE = 25


def resource_for_viewer(request: HttpRequest, resource_id: Any) -> Resource:
    """The resource if the user is a member (or staff); 404 otherwise."""
    return get_resource_for_user(request.user, resource_id)


def resource_for_editor(request: HttpRequest, resource_id: Any) -> Resource:
    """The resource if the user may change its configuration: 404 for outsiders, 403 for roles."""
    resource = get_resource_for_user(request.user, resource_id)
    require_edit_config(request.user, resource)
    return resource


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    # get_page clamps bad or out-of-range numbers to a real page instead of failing.
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def search_term(request: HttpRequest) -> str:
    # PostgreSQL refuses NUL in any text parameter (a 500); no stored name contains one anyway.
    return request.GET.get("q", "").replace("\x00", "").strip()[:200]


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or for htmx requests only the named partial of the same template."""
    name = f"{template}#{partial}" if partial and is_htmx(request) else template
    return render(request, name, context, status=status)


def full_redirect(request: HttpRequest, to: Any, *args: Any) -> HttpResponse:
    """A redirect after a change. htmx would follow a 302 inside the swap target, so it gets
    HX-Redirect instead and loads the whole page."""
    response = redirect(to, *args)
    if is_htmx(request):
        htmx_response = HttpResponse(status=204)
        htmx_response["HX-Redirect"] = response["Location"]
        return htmx_response
    return response


def resource_context(request: HttpRequest, resource: Resource, **extra: Any) -> dict[str, Any]:
    # One membership query for both: can_edit_config would look the role up again.
    role = role_of(request.user, resource)
    return {
        "resource": resource,
        "can_edit": is_staff(request.user) or role in CONFIG_EDITORS,
        "role": role,
        **extra,
    }


def render_list_page(
    request: HttpRequest,
    resource: Resource,
    queryset: QuerySet,
    template: str,
    search_fields: tuple[str, ...],
) -> HttpResponse:
    """A resource's list page: the ?q= term matched (icontains) against any of search_fields,
    one page of the rows, and for htmx requests only the template's "table" partial."""
    term = search_term(request)
    if term:
        matches = Q()
        for field in search_fields:
            matches |= Q(**{f"{field}__icontains": term})
        queryset = queryset.filter(matches)
    context = resource_context(request, resource, page=paginate(request, queryset), q=term)
    return render_page(request, template, context, partial="table")


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """A ValidationError from an action as {field: messages}; '__all__' for general ones."""
    if hasattr(exc, "error_dict"):
        return {key: list(texts) for key, texts in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


def add_action_errors(form: Any, exc: ValidationError, *, fallback: str | None = None) -> None:
    """Show an action's ValidationError next to the form's fields (unknown keys go on top)."""
    for key, texts in errors_of(exc).items():
        field = key if key in form.fields else fallback
        for message in texts:
            form.add_error(field if field in form.fields else None, message)


@require_GET
@login_required
def overview(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_viewer(request, resource_id)
    context = resource_context(
        request,
        resource,
        filter_count=resource.content_filters.count(),
        blocklist_count=resource.blocklists.count(),
        deployment_count=resource.deployments.count(),
        recent=resource.activity.select_related("actor")[:5],
    )
    return render(request, "guardsite/overview.html", context)


@require_GET
@login_required
def activity(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_viewer(request, resource_id)
    entries = ActivityEntry.objects.filter(resource=resource).select_related("actor")
    term = search_term(request)
    if term:
        entries = entries.filter(action__icontains=term) | entries.filter(
            target_repr__icontains=term
        )
    page = paginate(request, entries)
    rows = [(entry, change_rows(entry.before, entry.after)) for entry in page]
    context = resource_context(request, resource, page=page, rows=rows, q=term)
    return render_page(request, "guardsite/activity.html", context, partial="table")


def change_rows(before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """Readable (what, before, after) rows for an activity entry."""
    if isinstance(before, dict) or isinstance(after, dict):
        return config_diff(
            before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
        )
    if before == after:
        return []
    return [("value", before, after)]


# --- Members --------------------------------------------------------------------------------------


def _resource_for_admin(request: HttpRequest, resource_id: Any) -> Resource:
    resource = get_resource_for_user(request.user, resource_id)
    require_admin_resource(request.user, resource)
    return resource


def _members_page(request: HttpRequest, resource: Resource, *, status: int = 200, **extra: Any):
    context = resource_context(
        request,
        resource,
        memberships=resource.memberships.select_related("user").order_by("user__username"),
        roles=Membership.Role.choices,
        can_admin=can_admin_resource(request.user, resource),
        **extra,
    )
    return render(request, "guardsite/members.html", context, status=status)


@require_GET
@login_required
def members(request: HttpRequest, resource_id: Any) -> HttpResponse:
    return _members_page(request, resource_for_viewer(request, resource_id))


@require_POST
@login_required
def member_add(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = _resource_for_admin(request, resource_id)
    username = request.POST.get("username", "").strip()
    role = request.POST.get("role", "")
    try:
        add_member(resource, username=username, role=role, acting_user=request.user)
    except ValidationError as exc:
        return _members_page(
            request, resource, status=400, add_errors=errors_of(exc), username=username
        )
    messages.success(request, f"Added {username} as {Membership.Role(role).label}.")
    return redirect("resources:members", resource.pk)


@require_POST
@login_required
def member_change(request: HttpRequest, resource_id: Any, membership_id: int) -> HttpResponse:
    resource = _resource_for_admin(request, resource_id)
    membership = get_object_or_404(Membership, resource=resource, pk=membership_id)
    try:
        if request.POST.get("remove"):
            remove_member(membership, acting_user=request.user)
        else:
            change_member_role(
                membership, role=request.POST.get("role", ""), acting_user=request.user
            )
    except ValidationError as exc:
        return _members_page(request, resource, status=400, action_errors=exc.messages)
    messages.success(request, "Membership updated.")
    return redirect("resources:members", resource.pk)
