"""Who may see and change what.

Every page, API endpoint and export resolves objects through these helpers, so tenant isolation is
decided in one place: a user who is not a member of a resource gets 404 for its objects (its
existence is not revealed); a member whose role is too weak gets 403.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404

from .models import Membership, Resource

Role = Membership.Role

CONFIG_EDITORS = frozenset({Role.OWNER, Role.FILTER_EDITOR})
RESOURCE_ADMINS = frozenset({Role.OWNER})

# Request users: a User or AnonymousUser; typed loosely so custom user models also fit.
AnyUser = Any


def is_staff(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def visible_resources(user: AnyUser) -> QuerySet[Resource]:
    if not user.is_authenticated:
        return Resource.objects.none()
    if is_staff(user):
        return Resource.objects.all()
    return Resource.objects.filter(memberships__user=user).distinct()


def role_of(user: AnyUser, resource: Resource) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, resource=resource)
        .values_list("role", flat=True)
        .first()
    )


def can_view(user: AnyUser, resource: Resource) -> bool:
    return is_staff(user) or role_of(user, resource) is not None


def can_edit_config(user: AnyUser, resource: Resource) -> bool:
    return is_staff(user) or role_of(user, resource) in CONFIG_EDITORS


def can_admin_resource(user: AnyUser, resource: Resource) -> bool:
    return is_staff(user) or role_of(user, resource) in RESOURCE_ADMINS


def require_view(user: AnyUser, resource: Resource | None) -> None:
    if resource is None or not can_view(user, resource):
        raise Http404("No such resource.")


def require_edit_config(user: AnyUser, resource: Resource | None) -> None:
    require_view(user, resource)
    assert resource is not None
    if not can_edit_config(user, resource):
        raise PermissionDenied("Your role on this resource cannot change its configuration.")


def require_admin_resource(user: AnyUser, resource: Resource | None) -> None:
    require_view(user, resource)
    assert resource is not None
    if not can_admin_resource(user, resource):
        raise PermissionDenied("Only the resource's owners can do this.")


def get_resource_for_user(user: AnyUser, resource_id: Any) -> Resource:
    """The resource with this id if the user may see it, else 404 (also for malformed ids)."""
    try:
        return visible_resources(user).get(pk=resource_id)
    except (Resource.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # A malformed UUID raises ValidationError: it names no resource either.
        raise Http404("No such resource.") from exc
