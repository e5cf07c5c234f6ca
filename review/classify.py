"""Classifying recorded events in batches, idempotently.

A batch is processed in chunks, each in its own transaction that locks its pending rows, so a
worker killed mid-batch leaves every chunk either fully stored or untouched; the redelivered
batch skips what is already classified. Each event is therefore stored exactly once.
"""

from django.db import transaction
from django.utils import timezone

from guardsite.classification import ClassifyInput, classify_many

from .models import ClassificationEvent

CHUNK_SIZE = 100


def classify_pending_events(event_ids: list[str]) -> int:
    classified = 0
    for start in range(0, len(event_ids), CHUNK_SIZE):
        classified += _classify_chunk(event_ids[start : start + CHUNK_SIZE])
    return classified


def _classify_chunk(event_ids: list[str]) -> int:
    with transaction.atomic():
        events = list(
            ClassificationEvent.objects.select_for_update()
            .filter(pk__in=event_ids, status=ClassificationEvent.Status.PENDING)
            .order_by("created_at")
        )
        if not events:
            return 0
        outcomes = classify_many(
            [
                ClassifyInput(
                    text=event.content or "",
                    direction=event.direction,
                    documents=tuple(event.documents or ()),
                    config=event.filter_config,
                    resource_id=str(event.resource_id),
                )
                for event in events
            ]
        )
        now = timezone.now()
        for event, (analysis, decision) in zip(events, outcomes, strict=True):
            event.analysis = analysis.to_dict()
            event.decision = decision.results
            event.filtered = decision.filtered
            event.status = ClassificationEvent.Status.CLASSIFIED
            event.classified_at = now
            event.attempts += 1
        ClassificationEvent.objects.bulk_update(
            events,
            ["analysis", "decision", "filtered", "status", "classified_at", "attempts"],
        )
    from .flagging import flag_events

    flag_events([event.pk for event in events])
    return len(events)
