"""Every change to a deployment goes through these functions."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from filters.models import ContentFilter
from guardsite.activity import record_activity
from guardsite.models import Resource

from .models import Deployment

EDITABLE_FIELDS = (
    "name",
    "model_name",
    "upstream_url",
    "upstream_model",
    "upstream_api_key",
    "upstream_timeout_seconds",
)


class ReplacementNotConfirmed(ValidationError):
    """The deployment already has another filter; the caller must confirm the replacement."""

    def __init__(self, deployment: Deployment, current: ContentFilter, new: ContentFilter | None):
        self.deployment, self.current, self.new = deployment, current, new
        new_name = new.name if new else "the built-in default"
        super().__init__(
            f"Deployment '{deployment.name}' already uses filter '{current.name}'. "
            f"Confirm to replace it with {new_name}.",
            code="confirm_replace",
        )


@dataclass
class DeploymentData:
    name: str
    model_name: str
    upstream_url: str = ""
    upstream_model: str = ""
    upstream_api_key: str = ""
    upstream_timeout_seconds: int = 60


def _snapshot(deployment: Deployment) -> dict:
    return {
        "name": deployment.name,
        "model_name": deployment.model_name,
        "upstream_url": deployment.upstream_url,
        "upstream_model": deployment.upstream_model,
        "content_filter": deployment.content_filter.name if deployment.content_filter else None,
    }


def _validate_and_save(deployment: Deployment) -> None:
    try:
        deployment.full_clean(exclude=["resource", "content_filter", "created_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    clash = Deployment.objects.filter(resource=deployment.resource, name=deployment.name)
    if clash.exclude(pk=deployment.pk).exists():
        raise ValidationError(
            {"name": f"Resource '{deployment.resource}' already has a deployment of that name."}
        )
    try:
        with transaction.atomic():
            deployment.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": f"Resource '{deployment.resource}' already has a deployment of that name."}
        ) from exc


def create_deployment(
    resource: Resource,
    data: DeploymentData,
    *,
    acting_user: Any,
    content_filter: ContentFilter | None = None,
) -> Deployment:
    _check_filter_belongs(resource, content_filter)
    deployment = Deployment(
        resource=resource,
        content_filter=None
        if content_filter is None or content_filter.is_builtin
        else content_filter,
        created_by=acting_user if acting_user.is_authenticated else None,
        **{field: getattr(data, field) for field in EDITABLE_FIELDS},
    )
    with transaction.atomic():
        _validate_and_save(deployment)
        record_activity(
            resource=resource,
            actor=acting_user,
            action="deployment.created",
            target=deployment,
            after=_snapshot(deployment),
        )
    return deployment


def update_deployment(
    deployment: Deployment, data: DeploymentData, *, acting_user: Any
) -> Deployment:
    with transaction.atomic():
        before = _snapshot(deployment)
        for field in EDITABLE_FIELDS:
            setattr(deployment, field, getattr(data, field))
        _validate_and_save(deployment)
        record_activity(
            resource=deployment.resource,
            actor=acting_user,
            action="deployment.updated",
            target=deployment,
            before=before,
            after=_snapshot(deployment),
        )
    return deployment


def delete_deployment(deployment: Deployment, *, acting_user: Any) -> None:
    with transaction.atomic():
        record_activity(
            resource=deployment.resource,
            actor=acting_user,
            action="deployment.deleted",
            target=deployment,
            before=_snapshot(deployment),
        )
        deployment.delete()


def assign_filter(
    deployment: Deployment,
    content_filter: ContentFilter | None,
    *,
    acting_user: Any,
    confirm_replace: bool = False,
) -> Deployment:
    """Give the deployment a filter (None or the built-in: the default applies).

    Replacing a filter the deployment already has needs confirm_replace, as in the portal.
    """
    _check_filter_belongs(deployment.resource, content_filter)
    new = None if content_filter is None or content_filter.is_builtin else content_filter
    with transaction.atomic():
        locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
        current = locked.content_filter
        if current is not None and current != new and not confirm_replace:
            raise ReplacementNotConfirmed(locked, current, new)
        before = _snapshot(locked)
        locked.content_filter = new
        locked.save(update_fields=["content_filter", "updated_at"])
        record_activity(
            resource=locked.resource,
            actor=acting_user,
            action="deployment.filter_assigned",
            target=locked,
            before=before,
            after=_snapshot(locked),
        )
    deployment.refresh_from_db()
    return deployment


def _check_filter_belongs(resource: Resource, content_filter: ContentFilter | None) -> None:
    if content_filter is None or content_filter.is_builtin:
        return
    if content_filter.resource_id != resource.pk:
        raise ValidationError({"content_filter": "No such content filter."})
