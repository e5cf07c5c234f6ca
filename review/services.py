"""Read-side services of review: visibility, queue health, dashboard data and exports.

Exports that carry content (labelled data) read it through review.access.content_for, item by
item, so each exported text is covered by a grant and audited; without one the text is null.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncDay
from django.utils import timezone

from guardsite.access import AnyUser, is_staff
from guardsite.models import Membership, Resource

from .access import active_grant_for, content_for
from .actions import DECIDED
from .models import AbuseCase, AuditLogEntry, FlaggedItem, ItemHistory

REVIEW_ROLES = [Membership.Role.REVIEWER, Membership.Role.REVIEW_MANAGER]
AGE_BUCKETS = (("under_1h", 1), ("1h_to_4h", 4), ("4h_to_24h", 24), ("over_24h", None))


def review_resources(user: AnyUser) -> QuerySet[Resource]:
    """Resources whose review metadata the user sees: reviewers and managers, staff for all."""
    if is_staff(user):
        return Resource.objects.all()
    return Resource.objects.filter(
        memberships__user=user, memberships__role__in=REVIEW_ROLES
    ).distinct()


def visible_items(user: AnyUser) -> QuerySet[FlaggedItem]:
    items = FlaggedItem.objects.select_related("resource")
    if is_staff(user):
        return items
    return items.filter(resource__in=review_resources(user))


def queue_health(resource: Resource | None = None, *, resources=None, now=None) -> dict:
    """Pending items by stage and age, claims, escalations and throughput per reviewer (7 days).

    Every count is one filtered aggregate over the same rows: two queries in all (this and the
    throughput), whatever the queue holds.
    """
    now = now or timezone.now()
    items = FlaggedItem.objects.all()
    if resource is not None:
        items = items.filter(resource=resource)
    elif resources is not None:
        items = items.filter(resource__in=resources)
    pending = Q(status=FlaggedItem.Status.PENDING)
    human = pending & Q(stage=FlaggedItem.Stage.HUMAN)
    week = now - timedelta(days=7)
    buckets: dict[str, Q] = {}
    lower = now
    for name, hours in AGE_BUCKETS:
        bucket = human & Q(created_at__lte=lower)
        if hours is not None:
            upper = now - timedelta(hours=hours)
            bucket &= Q(created_at__gt=upper)
            lower = upper
        buckets[name] = bucket
    counts = items.aggregate(
        pending_human=Count("pk", filter=human),
        pending_automated=Count("pk", filter=pending & Q(stage=FlaggedItem.Stage.AUTOMATED)),
        claimed=Count("pk", filter=human & Q(claimed_by__isnull=False, claim_expires_at__gt=now)),
        escalated=Count("pk", filter=human & Q(escalated_at__isnull=False)),
        decided_7d=Count("pk", filter=Q(decided_at__gte=week)),
        oldest=Min("created_at", filter=human),
        **{f"age_{name}": Count("pk", filter=bucket) for name, bucket in buckets.items()},
    )
    decisions = (
        ItemHistory.objects.filter(
            item__in=items,
            created_at__gte=week,
            actor__isnull=False,
            action__in=[s.value for s in FlaggedItem.Status if s != FlaggedItem.Status.PENDING],
        )
        .values("actor__username")
        .annotate(decisions=Count("id"))
        .order_by("-decisions")
    )
    oldest = counts["oldest"]
    return {
        "pending_human": counts["pending_human"],
        "pending_automated": counts["pending_automated"],
        "claimed": counts["claimed"],
        "escalated": counts["escalated"],
        "oldest_pending_hours": round((now - oldest).total_seconds() / 3600, 2) if oldest else None,
        "ageing": {name: counts[f"age_{name}"] for name in buckets},
        "throughput_7d": [
            {"reviewer": row["actor__username"], "decisions": row["decisions"]} for row in decisions
        ],
        "decided_7d": counts["decided_7d"],
    }


def dashboard_data(user: AnyUser, resource: Resource | None = None, *, days: int = 30) -> dict:
    """Flag volume by day, category and severity; queue health; open cases. Metadata only."""
    resources = review_resources(user) if resource is None else None
    items = FlaggedItem.objects.all()
    cases = AbuseCase.objects.filter(status=AbuseCase.Status.OPEN)
    if resource is not None:
        items, cases = items.filter(resource=resource), cases.filter(resource=resource)
    elif not is_staff(user):
        items, cases = items.filter(resource__in=resources), cases.filter(resource__in=resources)
    since = timezone.now() - timedelta(days=days)
    volume = (
        items.filter(created_at__gte=since)
        .annotate(day=TruncDay("created_at"))
        .values("day", "category", "severity")
        .annotate(count=Count("id"))
        .order_by("day", "category", "severity")
    )
    return {
        "days": days,
        "flagged_by_day": [
            {
                "day": row["day"].date().isoformat(),
                "category": row["category"],
                "severity": row["severity"],
                "count": row["count"],
            }
            for row in volume
        ],
        "queue": queue_health(resource, resources=resources),
        "open_cases": [
            {
                "id": str(case.pk),
                "resource": case.resource.name,
                "score": case.score,
                "opened_at": case.opened_at.isoformat(),
                "items": case.item_count,
            }
            for case in cases.select_related("resource").annotate(item_count=Count("items"))
        ],
    }


AUDIT_COLUMNS = [
    "time",
    "actor",
    "action",
    "resource",
    "target_type",
    "target_id",
    "grant",
    "client_ip",
    "details",
]


def audit_csv(entries: QuerySet[AuditLogEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for entry in entries.select_related("resource").order_by("created_at", "id").iterator():
        writer.writerow(
            [
                entry.created_at.isoformat(),
                entry.actor_repr,
                entry.action,
                entry.resource.name if entry.resource else "",
                entry.target_type,
                entry.target_id,
                entry.grant_id or "",
                entry.client_ip or "",
                json.dumps(entry.details, sort_keys=True) if entry.details else "",
            ]
        )
    return out.getvalue()


def labelled_items(resource: Resource) -> QuerySet[FlaggedItem]:
    """Confirmed and corrected items: the feedback that becomes training data."""
    return (
        FlaggedItem.objects.filter(resource=resource, status__in=DECIDED)
        .select_related("resource")
        .order_by("decided_at", "id")
    )


def labelled_jsonl(user: AnyUser, resource: Resource, *, request: Any) -> Iterator[str]:
    """One JSON line per confirmed/corrected item: text (only under a grant, else null),
    category labels and severity. Each text is read through content_for, hence audited."""
    for item in labelled_items(resource).iterator():
        text = None
        if active_grant_for(user, item) is not None:
            try:
                text = content_for(user, item, request=request).text
            except PermissionDenied:  # the grant ended mid-export
                text = None
        labels = dict(item.labels or {})
        labels[item.reviewed_category or item.category] = item.reviewed_severity
        yield (
            json.dumps(
                {
                    "id": str(item.pk),
                    "text": text,
                    "direction": item.direction,
                    "category": item.reviewed_category or item.category,
                    "severity": item.reviewed_severity,
                    "labels": labels,
                    "status": item.status,
                },
                sort_keys=True,
            )
            + "\n"
        )


def items_needing_attention(user: AnyUser) -> QuerySet[FlaggedItem]:
    return visible_items(user).filter(
        Q(status=FlaggedItem.Status.PENDING, stage=FlaggedItem.Stage.HUMAN)
    )
