"""Changes to resources and memberships. Approvals and status are staff decisions."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from .access import is_staff
from .activity import record_activity
from .models import Membership, Resource

RESOURCE_FIELDS = ("name", "region", "in_eea")
APPROVAL_FIELDS = ("modified_content_filters_approved", "modified_abuse_monitoring_approved")


def _snapshot(resource: Resource) -> dict:
    return {
        field: getattr(resource, field) for field in (*RESOURCE_FIELDS, *APPROVAL_FIELDS, "status")
    }


def _clean_and_save(resource: Resource) -> None:
    try:
        resource.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "A resource with that name already exists."}) from exc


def create_resource(
    *, name: str, region: str = "westeurope", in_eea: bool = False, acting_user: Any
) -> Resource:
    """A new resource; a non-staff creator becomes its owner."""
    with transaction.atomic():
        resource = Resource(name=name, region=region, in_eea=in_eea)
        _clean_and_save(resource)
        if acting_user is not None and acting_user.is_authenticated and not is_staff(acting_user):
            Membership.objects.create(
                user=acting_user, resource=resource, role=Membership.Role.OWNER
            )
        record_activity(
            resource=resource,
            actor=acting_user,
            action="resource.created",
            target=resource,
            after=_snapshot(resource),
        )
    return resource


def update_resource(resource: Resource, changes: dict[str, Any], *, acting_user: Any) -> Resource:
    """Owners change name, region and EEA location; staff also approvals and status."""
    allowed = set(RESOURCE_FIELDS)
    if is_staff(acting_user):
        allowed |= {*APPROVAL_FIELDS, "status"}
    refused = sorted(set(changes) - allowed)
    if refused:
        if set(refused) <= {*APPROVAL_FIELDS, "status"}:
            raise PermissionDenied("Only staff administrators record approvals and status.")
        raise ValidationError({field: "Unknown field." for field in refused})
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        before = _snapshot(locked)
        for field, value in changes.items():
            setattr(locked, field, value)
        _clean_and_save(locked)
        record_activity(
            resource=locked,
            actor=acting_user,
            action="resource.updated",
            target=locked,
            before=before,
            after=_snapshot(locked),
        )
    resource.refresh_from_db()
    return resource


def add_member(resource: Resource, *, username: str, role: str, acting_user: Any) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Membership.Role.values)}."})
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"username": "No active user with that username."})
    with transaction.atomic():
        try:
            with transaction.atomic():
                membership = Membership.objects.create(user=user, resource=resource, role=role)
        except IntegrityError as exc:
            raise ValidationError({"username": "That user is already a member."}) from exc
        record_activity(
            resource=resource,
            actor=acting_user,
            action="member.added",
            target=membership,
            after={"user": username, "role": role},
        )
    return membership


def change_member_role(membership: Membership, *, role: str, acting_user: Any) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Membership.Role.values)}."})
    with transaction.atomic():
        _keep_an_owner(membership, new_role=role)
        before = {"user": membership.user.get_username(), "role": membership.role}
        membership.role = role
        membership.save(update_fields=["role"])
        record_activity(
            resource=membership.resource,
            actor=acting_user,
            action="member.role_changed",
            target=membership,
            before=before,
            after={**before, "role": role},
        )
    return membership


def remove_member(membership: Membership, *, acting_user: Any) -> None:
    with transaction.atomic():
        _keep_an_owner(membership, new_role=None)
        record_activity(
            resource=membership.resource,
            actor=acting_user,
            action="member.removed",
            target=membership,
            before={"user": membership.user.get_username(), "role": membership.role},
        )
        membership.delete()


def _keep_an_owner(membership: Membership, *, new_role: str | None) -> None:
    if membership.role != Membership.Role.OWNER or new_role == Membership.Role.OWNER:
        return
    owners = Membership.objects.select_for_update().filter(
        resource=membership.resource, role=Membership.Role.OWNER
    )
    if owners.count() <= 1:
        raise ValidationError("A resource keeps at least one owner.", code="last_owner")


def set_resource_status(resource: Resource, status: str, *, reason: str, acting_user: Any) -> str:
    """Suspend, terminate or reactivate a resource for abuse enforcement; returns the old status.

    Unlike update_resource this is not limited to staff: the review app's enforcement actions
    (confirmed abuse, a missed remediation deadline, an approved appeal) call it, with the acting
    user or None for a scheduled task. The runtime refuses any status but active.
    """
    if status not in Resource.Status.values:
        raise ValidationError({"status": f"Choose one of: {', '.join(Resource.Status.values)}."})
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        old_status = locked.status
        if old_status != status:
            locked.status = status
            locked.save(update_fields=["status"])
            record_activity(
                resource=locked,
                actor=acting_user,
                action="resource.status_changed",
                target=locked,
                before={"status": old_status},
                after={"status": status, "reason": reason},
            )
    resource.status = status
    return old_status
