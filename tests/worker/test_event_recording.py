"""Runtime events go through the broker to a worker; while Redis is down they wait in the outbox."""

import os
import subprocess
import sys

from django.db import connection

from guardsite.models import Resource
from review.models import ClassificationEvent, EventOutbox
from review.recording import event_payload, flush_outbox, record_events

from .conftest import ROOT, wait_until

RECORD_WITH_BROKER_DOWN = """
import django
django.setup()
from guardsite.models import Resource
from review.recording import event_payload, record_events
resource = Resource.objects.get(name="acme")
record_events([event_payload(resource=resource, direction="prompt", content="hello there",
                             filter_config={"name": "Default"})])
"""


def test_recorded_event_is_stored_and_classified_by_the_worker(worker):
    resource = Resource.objects.create(name="acme")
    payload = event_payload(
        resource=resource, direction="prompt", content="Nice weather today", filter_config={}
    )
    record_events([payload])
    wait_until(
        lambda: ClassificationEvent.objects.filter(pk=payload["id"], status="classified").exists(),
        what="the event to be stored and classified",
    )
    event = ClassificationEvent.objects.get(pk=payload["id"])
    assert event.content == "Nice weather today"
    assert event.filtered is False


def test_modified_abuse_monitoring_keeps_signals_but_never_content(worker):
    resource = Resource.objects.create(name="acme", modified_abuse_monitoring_approved=True)
    payload = event_payload(
        resource=resource,
        direction="prompt",
        content="a secret prompt",
        filter_config={},
        analysis={"categories": {}},
        decision={"violence": {"filtered": False, "severity": "safe"}},
        filtered=False,
    )
    assert payload["content"] is None
    record_events([payload])
    wait_until(lambda: ClassificationEvent.objects.filter(pk=payload["id"]).exists(), what="event")
    event = ClassificationEvent.objects.get(pk=payload["id"])
    assert event.content is None
    assert event.decision == {"violence": {"filtered": False, "severity": "safe"}}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM review_classificationevent WHERE content IS NOT NULL")
        assert cursor.fetchone()[0] == 0


def test_events_recorded_while_the_broker_is_down_wait_in_the_outbox_then_arrive(worker):
    Resource.objects.create(name="acme")
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "guardsite.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", RECORD_WITH_BROKER_DOWN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert EventOutbox.objects.count() == 1
    assert not ClassificationEvent.objects.exists()

    assert flush_outbox() == 1  # the broker is back (the worker fixture's Redis)
    assert EventOutbox.objects.count() == 0
    wait_until(
        lambda: ClassificationEvent.objects.filter(status="classified").count() == 1,
        what="the outboxed event to be stored and classified",
    )
    assert ClassificationEvent.objects.get().content == "hello there"
