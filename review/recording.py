"""Recording runtime calls for abuse monitoring, without slowing the response.

The runtime hands each event to the broker; a worker stores it. When the broker cannot take it
(Redis down), the event goes to the database outbox and a periodic task resends it later. Events
carry their own id, so a resent event is stored once. With modified abuse monitoring approved,
the content is dropped here, before it leaves the process: only signals are kept.
"""

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from guardsite.models import Resource

from .models import ClassificationEvent, EventOutbox

logger = logging.getLogger(__name__)


def event_payload(
    *,
    resource: Resource,
    direction: str,
    content: str,
    filter_config: dict,
    deployment_id: Any = None,
    documents: Sequence[str] = (),
    analysis: dict | None = None,
    decision: dict | None = None,
    filtered: bool | None = None,
) -> dict:
    keep_content = not resource.modified_abuse_monitoring_approved
    return {
        "id": str(uuid.uuid4()),
        "resource_id": str(resource.pk),
        "deployment_id": str(deployment_id) if deployment_id else None,
        "direction": direction,
        "content": content if keep_content else None,
        "documents": list(documents) if keep_content and documents else None,
        "filter_config": filter_config,
        "analysis": analysis,
        "decision": decision,
        "filtered": filtered,
    }


def record_events(payloads: list[dict]) -> None:
    """Hand events to the broker, or to the outbox when the broker is unavailable."""
    if not payloads:
        return
    from .tasks import ingest_events

    try:
        # retry=False: a down broker must cost the caller milliseconds, not a retry loop.
        ingest_events.apply_async(args=(payloads,), retry=False)
    except Exception as exc:  # kombu raises several types for an unreachable broker
        logger.warning("broker unavailable, %d events go to the outbox: %s", len(payloads), exc)
        EventOutbox.objects.bulk_create(EventOutbox(payload=payload) for payload in payloads)


def store_events(payloads: list[dict]) -> list[str]:
    """Insert events once (by id); returns the ids that still need classification."""
    rows = [
        ClassificationEvent(
            id=payload["id"],
            resource_id=payload["resource_id"],
            deployment_id=payload.get("deployment_id"),
            direction=payload["direction"],
            content=payload.get("content"),
            documents=payload.get("documents"),
            filter_config=payload.get("filter_config") or {},
            analysis=payload.get("analysis"),
            decision=payload.get("decision"),
            filtered=payload.get("filtered"),
            status=(
                ClassificationEvent.Status.CLASSIFIED
                if payload.get("analysis") is not None
                else ClassificationEvent.Status.PENDING
            ),
        )
        for payload in payloads
    ]
    with transaction.atomic():
        ClassificationEvent.objects.bulk_create(rows, ignore_conflicts=True)
    from .flagging import flag_events

    # Events classified at the runtime arrive scored: flag those above their thresholds now.
    flag_events([row.id for row in rows if row.status == ClassificationEvent.Status.CLASSIFIED])
    return [
        str(row.id)
        for row in rows
        if row.status == ClassificationEvent.Status.PENDING and row.content is not None
    ]


def flush_outbox(limit: int = 500) -> int:
    """Resend outboxed events; a row leaves the outbox only once the broker took it."""
    from .tasks import ingest_events

    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                EventOutbox.objects.select_for_update(skip_locked=True).order_by("id")[:limit]
            )
            if not rows:
                return sent
            ingest_events.apply_async(args=([row.payload for row in rows],), retry=False)
            EventOutbox.objects.filter(pk__in=[row.pk for row in rows]).delete()
            sent += len(rows)
