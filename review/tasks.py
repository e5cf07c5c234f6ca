"""Celery tasks of the classification pipeline."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .classify import classify_pending_events

RETRYABLE = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=RETRYABLE,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def classify_events(event_ids: list[str]) -> int:
    """Classify a batch of recorded events. Safe to run twice: classified events are skipped."""
    return classify_pending_events(event_ids)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=RETRYABLE,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def ingest_events(payloads: list[dict]) -> int:
    """Store runtime events (idempotent by event id) and classify those that arrived unscored."""
    from .recording import store_events

    pending = store_events(payloads)
    if pending:
        classify_events.delay(pending)
    return len(payloads)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=5, max_retries=3)
def flush_event_outbox() -> int:
    """Periodic: resend events recorded while the broker was down."""
    from .recording import flush_outbox

    return flush_outbox()
