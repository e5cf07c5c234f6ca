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


# --- Review, access and enforcement (abuse monitoring stages two to four) ---------------------


@shared_task(acks_late=True, autoretry_for=RETRYABLE, retry_backoff=2, max_retries=10)
def review_flagged_items(item_ids: list[str]) -> dict:
    """Automated review of newly flagged (or reopened) items; unsure ones go to people."""
    from .reviewers import review_items

    return review_items(item_ids)


@shared_task(autoretry_for=RETRYABLE, retry_backoff=5, max_retries=3)
def retry_automated_review(older_than_minutes: int = 10, limit: int = 1000) -> dict:
    """Periodic: items still waiting for automated review (it was unavailable) get another try."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import FlaggedItem
    from .reviewers import review_items

    waiting = FlaggedItem.objects.filter(
        status=FlaggedItem.Status.PENDING,
        stage=FlaggedItem.Stage.AUTOMATED,
        created_at__lte=timezone.now() - timedelta(minutes=older_than_minutes),
    ).values_list("pk", flat=True)[:limit]
    return review_items(list(waiting))


@shared_task(autoretry_for=RETRYABLE, retry_backoff=5, max_retries=3)
def expire_access_requests() -> int:
    """Periodic: access requests nobody answered in time expire."""
    from .access import expire_unanswered_requests

    return expire_unanswered_requests()


@shared_task(autoretry_for=RETRYABLE, retry_backoff=5, max_retries=3)
def escalate_stale_review_items() -> int:
    """Periodic: items pending in the human queue past the age limit escalate."""
    from .actions import escalate_stale_items

    return escalate_stale_items()


@shared_task(autoretry_for=RETRYABLE, retry_backoff=5, max_retries=3)
def enforce_remediation_deadlines() -> int:
    """Periodic: notices whose remediation deadline passed unaddressed suspend the resource."""
    from .actions import enforce_missed_deadlines

    return enforce_missed_deadlines()


@shared_task(autoretry_for=RETRYABLE, retry_backoff=5, max_retries=3)
def purge_expired_content() -> int:
    """Periodic: stored content older than GUARDSITE_CONTENT_RETENTION_DAYS is purged."""
    from .actions import purge_expired_content as purge

    return purge()
