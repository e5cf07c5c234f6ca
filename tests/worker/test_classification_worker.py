"""Recorded events are classified by a real Celery worker, exactly once, even when it dies."""

import time

import psycopg
from django.db import connection

from guardsite.models import Resource
from review.models import ClassificationEvent
from review.tasks import classify_events

from .conftest import wait_until

VIOLENT = (
    "Let's call and threaten to explode the hospital during the weekend. "
    "I've got the explosives ready, and will have them installed tonight."
)
KIND = "What a lovely afternoon for a walk in the park with my grandmother."


def _events(resource, count, text=KIND):
    config = {"name": "Default"}
    return ClassificationEvent.objects.bulk_create(
        ClassificationEvent(
            resource=resource, direction="prompt", content=text, filter_config=config
        )
        for _ in range(count)
    )


def _classified(ids):
    return ClassificationEvent.objects.filter(pk__in=ids, status="classified").count()


def test_worker_classifies_events_and_stores_the_decision(worker):
    resource = Resource.objects.create(name="acme")
    violent = _events(resource, 1, VIOLENT)[0]
    kind = _events(resource, 1, KIND)[0]

    classify_events.delay([str(violent.pk), str(kind.pk)])
    wait_until(lambda: _classified([violent.pk, kind.pk]) == 2, what="both events classified")

    violent.refresh_from_db()
    kind.refresh_from_db()
    assert violent.filtered is True
    assert violent.decision["violence"]["filtered"] is True
    assert violent.decision["violence"]["severity"] in ("medium", "high")
    assert kind.filtered is False
    assert kind.decision["violence"] == {"filtered": False, "severity": "safe"}


def test_a_batch_sent_twice_is_stored_once(worker):
    resource = Resource.objects.create(name="acme")
    ids = [str(event.pk) for event in _events(resource, 20)]

    classify_events.delay(ids)
    classify_events.delay(ids)
    wait_until(lambda: _classified(ids) == 20, what="20 events classified")
    # Let the second delivery finish too, then check nothing was stored twice.
    wait_until(lambda: not _busy(worker), timeout=30, what="the queue to drain")
    assert set(
        ClassificationEvent.objects.filter(pk__in=ids).values_list("attempts", flat=True)
    ) == {1}


def _busy(worker) -> bool:
    from guardsite.celery import app

    with app.connection_for_write() as conn:
        return conn.default_channel.client.llen(worker.queue) > 0


def test_worker_killed_mid_batch_loses_nothing_and_stores_each_event_once(worker):
    resource = Resource.objects.create(name="acme")
    ids = [str(event.pk) for event in _events(resource, 250)]
    # Hold a row lock on an event of the second chunk, from another connection, so the worker
    # finishes chunk one and then waits inside chunk two: that is where we kill it.
    database = connection.settings_dict
    blocker = psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        dbname=database["NAME"],
    )
    try:
        blocker.execute(
            "SELECT id FROM review_classificationevent WHERE id = %s FOR UPDATE", [ids[150]]
        )
        classify_events.delay(ids)
        wait_until(lambda: _classified(ids) == 100, what="the first chunk to be stored")
        worker.kill()
    finally:
        blocker.rollback()
        blocker.close()
    assert _classified(ids) == 100

    worker.start()  # the late-acknowledged batch is redelivered to the new worker
    wait_until(lambda: _classified(ids) == 250, timeout=120, what="the redelivered batch")
    attempts = ClassificationEvent.objects.filter(pk__in=ids).values_list("attempts", flat=True)
    assert sorted(set(attempts)) == [1]


def test_a_batch_that_meets_a_database_error_is_retried_with_backoff(worker):
    resource = Resource.objects.create(name="acme")
    warm_up = [str(event.pk) for event in _events(resource, 1)]
    ids = [str(event.pk) for event in _events(resource, 5)]
    # Restart the worker with a short lock timeout and wait until it has done some work; then
    # hold a table lock for longer than the timeout: the first attempt fails with a database
    # error, and only a retry can store the batch.
    worker.stop()
    worker.start(database_query="?options=-c%20lock_timeout%3D300")
    classify_events.delay(warm_up)
    wait_until(lambda: _classified(warm_up) == 1, what="the worker to be ready")
    database = connection.settings_dict
    blocker = psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        dbname=database["NAME"],
    )
    try:
        blocker.execute("LOCK TABLE review_classificationevent IN ACCESS EXCLUSIVE MODE")
        classify_events.delay(ids)
        time.sleep(2)  # the first attempt times out on the lock meanwhile
    finally:
        blocker.rollback()
        blocker.close()
    wait_until(lambda: _classified(ids) == 5, timeout=30, what="the retried batch to be stored")
    attempts = ClassificationEvent.objects.filter(pk__in=ids).values_list("attempts", flat=True)
    assert set(attempts) == {1}
