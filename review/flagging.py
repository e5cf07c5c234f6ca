"""Stage two: classified events above their filter's thresholds become flagged items, and the
resource's abuse score decides whether a case opens.

Called at the end of review.recording.store_events and review.classify._classify_chunk, after
their transaction committed; calling it twice for the same events is harmless (one item per event;
a second flag of an already reviewed item reopens it).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from guardsite.engine.types import CATEGORIES
from guardsite.models import Resource

from .models import AbuseCase, ClassificationEvent, FlaggedItem, ItemHistory
from .scoring import case_threshold, resource_abuse_score, window_days

logger = logging.getLogger(__name__)

# The lowest 0..7 severity each category setting filters (docs/filter-config.md). Settings that
# never filter (annotate, off) still flag from "medium": abuse monitoring sees what filters allow.
SETTING_THRESHOLDS = {"low": 2, "medium": 4, "high": 6}
DEFAULT_THRESHOLD = SETTING_THRESHOLDS["medium"]


@dataclass(frozen=True)
class FlagSignal:
    category: str
    severity: int
    labels: dict[str, int]
    attack: bool


def flag_signal(event: ClassificationEvent) -> FlagSignal | None:
    """Why this event is flagged, or None when it is not."""
    analysis = event.analysis or {}
    side = (event.filter_config or {}).get(event.direction) or {}
    settings_by_category = side.get("categories") or {}
    labels: dict[str, int] = {}
    for category, result in (analysis.get("categories") or {}).items():
        severity = int(result.get("severity", 0))
        threshold = SETTING_THRESHOLDS.get(
            settings_by_category.get(category, "medium"), DEFAULT_THRESHOLD
        )
        if severity >= threshold:
            labels[category] = severity
    jailbreak = (analysis.get("jailbreak") or {}).get("detected", False)
    indirect = any(d.get("detected") for d in analysis.get("indirect_attack") or [])
    attack = bool(jailbreak or indirect)
    if not labels and not attack and not event.filtered:
        return None
    all_severities = {
        name: int(result.get("severity", 0))
        for name, result in (analysis.get("categories") or {}).items()
        if name in CATEGORIES
    }
    if labels:
        category = max(labels, key=lambda name: (labels[name], name))
    elif attack:
        category = "jailbreak" if jailbreak else "indirect_attack"
    else:
        category = _filtered_reason(event.decision or {})
    severity = max(all_severities.values(), default=0)
    return FlagSignal(category=category, severity=severity, labels=labels, attack=attack)


def _filtered_reason(decision: dict) -> str:
    for name, result in decision.items():
        if isinstance(result, dict) and result.get("filtered"):
            return name
    return "filtered"


def flag_events(event_ids: Iterable[Any]) -> list[str]:
    """Flag the classified events that cross their thresholds; returns the ids of items that
    need (automated) review: new ones and reopened ones."""
    ids = [str(event_id) for event_id in event_ids]
    if not ids:
        return []
    events = list(
        ClassificationEvent.objects.filter(
            pk__in=ids, status=ClassificationEvent.Status.CLASSIFIED
        ).only(
            "id", "resource_id", "direction", "analysis", "decision", "filtered", "filter_config"
        )
    )
    signals = {event.pk: (event, flag_signal(event)) for event in events}
    flagged = {pk: pair for pk, pair in signals.items() if pair[1] is not None}
    if not flagged:
        return []
    now = timezone.now()
    to_review: list[str] = []
    with transaction.atomic():
        existing = {
            item.event_id: item for item in FlaggedItem.objects.filter(event_id__in=list(flagged))
        }
        new_items = []
        for pk, (event, signal) in flagged.items():
            assert signal is not None
            if pk in existing:
                if reflag_item(existing[pk], acting_user=None, reason="flagged again"):
                    to_review.append(str(existing[pk].pk))
                continue
            new_items.append(
                FlaggedItem(
                    resource_id=event.resource_id,
                    event_id=pk,
                    direction=event.direction,
                    category=signal.category,
                    severity=signal.severity,
                    labels=signal.labels,
                    attack_detected=signal.attack,
                    created_at=now,
                )
            )
        # ignore_conflicts: a concurrent worker flagging the same event wins; ours is skipped.
        FlaggedItem.objects.bulk_create(new_items, ignore_conflicts=True)
        created = list(
            # Ids are made here, so the rows that exist with them are the ones inserted.
            FlaggedItem.objects.filter(pk__in=[item.pk for item in new_items]).values_list(
                "pk", flat=True
            )
        )
        ItemHistory.objects.bulk_create(
            ItemHistory(item_id=pk, action="flagged", new_status=FlaggedItem.Status.PENDING)
            for pk in created
        )
        to_review.extend(str(pk) for pk in created)
        for resource_id in {event.resource_id for event, _ in flagged.values()}:
            update_score_and_cases(Resource.objects.get(pk=resource_id))
        if to_review:
            from .tasks import review_flagged_items

            batch = list(to_review)
            transaction.on_commit(lambda: review_flagged_items.delay(batch))
    return to_review


def reflag_item(item: FlaggedItem, *, acting_user: Any, reason: str) -> bool:
    """Flag an item again. A reviewed item reopens (back to automated review); True if so."""
    reopened = (
        FlaggedItem.objects.filter(pk=item.pk)
        .exclude(status=FlaggedItem.Status.PENDING)
        .update(
            status=FlaggedItem.Status.PENDING,
            stage=FlaggedItem.Stage.AUTOMATED,
            claimed_by=None,
            claim_expires_at=None,
            flag_count=F("flag_count") + 1,
            version=F("version") + 1,
            escalated_at=None,
        )
    )
    if reopened:
        ItemHistory.objects.create(
            item=item,
            actor=acting_user if getattr(acting_user, "is_authenticated", False) else None,
            action="reopened",
            old_status=item.status,
            new_status=FlaggedItem.Status.PENDING,
            reason=reason,
        )
        return True
    FlaggedItem.objects.filter(pk=item.pk).update(flag_count=F("flag_count") + 1)
    return False


def update_score_and_cases(resource: Resource) -> AbuseCase | None:
    """Recompute the score; open a case above the threshold (or refresh the open one) and attach
    the window's unassigned items to it. Items take the score as their queue priority."""
    now = timezone.now()
    score = resource_abuse_score(resource, now)
    threshold = case_threshold()
    window_start = now - timedelta(days=window_days())
    FlaggedItem.objects.filter(
        resource=resource, status=FlaggedItem.Status.PENDING, created_at__gte=window_start
    ).update(priority=score.score)
    case = AbuseCase.objects.filter(resource=resource, status=AbuseCase.Status.OPEN).first()
    if case is None and score.score >= threshold:
        try:
            with transaction.atomic():
                case = AbuseCase.objects.create(
                    resource=resource,
                    score=score.score,
                    components=score.components(),
                    threshold=threshold,
                )
        except IntegrityError:  # another worker opened it first
            case = AbuseCase.objects.get(resource=resource, status=AbuseCase.Status.OPEN)
        logger.info("abuse case %s opened for %s (score %.2f)", case.pk, resource, score.score)
    elif case is not None:
        AbuseCase.objects.filter(pk=case.pk).update(
            score=score.score, components=score.components()
        )
    if case is not None:
        FlaggedItem.objects.filter(
            resource=resource, case__isnull=True, created_at__gte=window_start
        ).exclude(status=FlaggedItem.Status.DISMISSED).update(case=case)
        from .actions import maybe_confirm_case

        maybe_confirm_case(case)
    return case
