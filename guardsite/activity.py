"""Writing the per-resource activity log. Called inside the action's transaction."""

from typing import Any

from django.db import models

from .models import ActivityEntry, Resource


def record_activity(
    *,
    resource: Resource | None,
    actor: Any,
    action: str,
    target: models.Model,
    before: Any = None,
    after: Any = None,
) -> ActivityEntry:
    return ActivityEntry.objects.create(
        resource=resource,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        before=before,
        after=after,
    )
