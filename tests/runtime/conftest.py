"""Runtime API fixtures: resources with API keys, official clients pointed at a live server.

Every runtime test records events in the calling process (eager Celery), so no message ever
reaches a shared broker queue another test run's worker could pick up.
"""

import threading
import time

import pytest
from azure.ai.contentsafety import BlocklistClient, ContentSafetyClient
from azure.core.credentials import AzureKeyCredential

from blocklists.models import Blocklist
from guardsite.celery import app
from guardsite.keys import issue_keys
from guardsite.runtime import content_safety, moderations
from guardsite.runtime.auth import clear_key_cache
from review.models import ClassificationEvent


@pytest.fixture(autouse=True)
def eager_events(settings, monkeypatch):
    """Eager recording, and a test ends only once the server has recorded what it answered.

    Events are recorded after the response is sent, in the live server's thread; without the
    wait a test could end, and its tables be flushed, while that thread still writes.
    """
    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    clear_key_cache()
    in_flight = _InFlight()
    original = content_safety.record_after_response

    def tracked(response, payloads):
        in_flight.add()
        original(response, payloads)
        response._resource_closers.append(in_flight.done)

    monkeypatch.setattr(content_safety, "record_after_response", tracked)
    if hasattr(moderations, "record_after_response"):
        monkeypatch.setattr(moderations, "record_after_response", tracked)
    yield
    in_flight.wait()
    app.conf.task_always_eager = previous
    clear_key_cache()


class _InFlight:
    def __init__(self):
        self.count = 0
        self.condition = threading.Condition()

    def add(self):
        with self.condition:
            self.count += 1

    def done(self):
        with self.condition:
            self.count -= 1
            self.condition.notify_all()

    def wait(self, timeout: float = 15.0):
        with self.condition:
            assert self.condition.wait_for(lambda: self.count <= 0, timeout), "events unrecorded"


@pytest.fixture
def acme_keys(acme) -> tuple[str, str]:
    return issue_keys(acme, acting_user=None)


@pytest.fixture
def globex_keys(globex) -> tuple[str, str]:
    return issue_keys(globex, acting_user=None)


@pytest.fixture
def live_key(acme_keys) -> str:
    """Key 1 of acme, the resource most tests call as."""
    return acme_keys[0]


@pytest.fixture
def cs_client(live_server, live_key):
    """The official ContentSafetyClient, retries off so a 429 reaches the test."""
    return ContentSafetyClient(
        endpoint=live_server.url, credential=AzureKeyCredential(live_key), retry_total=0
    )


@pytest.fixture
def blocklist_client(live_server, live_key):
    return BlocklistClient(
        endpoint=live_server.url, credential=AzureKeyCredential(live_key), retry_total=0
    )


@pytest.fixture
def builtin_profanity(transactional_db) -> Blocklist:
    """The built-in list a data migration creates (transactional tests flush it away)."""
    blocklist, _ = Blocklist.objects.get_or_create(
        resource=None, name="Profanity", defaults={"is_builtin": True}
    )
    return blocklist


def wait_for_events(resource, count: int, timeout: float = 10.0) -> list[ClassificationEvent]:
    """Events are recorded after the response is sent: poll until they arrive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = list(ClassificationEvent.objects.filter(resource=resource).order_by("created_at"))
        if len(events) >= count:
            return events
        time.sleep(0.05)
    found = ClassificationEvent.objects.filter(resource=resource).count()
    raise AssertionError(f"expected {count} events for {resource}, found {found}")
