"""From a runtime call to a suspended resource, through every abuse-monitoring stage.

Real HTTP requests hit the Content Safety route; the recorded events are flagged, fail automated
review's confidence bar, go to the human queue, are confirmed by a reviewer under an approved
grant, confirm the case, notify the owner with a remediation window, and, when the deadline
passes unanswered, suspend the resource: its key is then refused.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from guardsite.celery import app
from guardsite.keys import issue_keys
from review import access, actions
from review.models import (
    AbuseCase,
    ClassificationEvent,
    EnforcementAction,
    FlaggedItem,
    ReviewerProfile,
)

ANALYZE = "/contentsafety/text:analyze?api-version=2024-09-01"
VIOLENT = (
    "Let's call and threaten to explode the hospital during the weekend. I've got the "
    "explosives ready, and will have them installed tonight. Then we shoot everyone who runs."
)


@pytest.fixture
def eager_tasks():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _wait(predicate, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_abuse_goes_from_runtime_calls_to_review_to_suspension(
    client, settings, eager_tasks, acme, owner, reviewer, review_manager
):
    settings.GUARDSITE_AUTOMATED_REVIEW_MIN_CONFIDENCE = 1.01  # automated review never suffices
    settings.GUARDSITE_ABUSE_CASE_THRESHOLD = 0.5
    settings.GUARDSITE_SEVERE_SEVERITY = 8  # nothing counts as severe: a notice comes first
    for person in (reviewer, review_manager):
        ReviewerProfile.objects.create(user=person, located_in_eea=True)
    key, _ = issue_keys(acme, acting_user=owner)
    headers = {"Ocp-Apim-Subscription-Key": key}

    for _ in range(4):
        response = client.post(
            ANALYZE, {"text": VIOLENT}, content_type="application/json", headers=headers
        )
        assert response.status_code == 200
        violence = {c["category"]: c["severity"] for c in response.json()["categoriesAnalysis"]}
        assert violence["Violence"] >= 4

    _wait(lambda: FlaggedItem.objects.filter(resource=acme).count() == 4, "four flagged items")
    assert ClassificationEvent.objects.filter(resource=acme).count() == 4
    case = AbuseCase.objects.get(resource=acme)
    assert case.status == AbuseCase.Status.OPEN
    _wait(
        lambda: (
            FlaggedItem.objects.filter(resource=acme, stage=FlaggedItem.Stage.HUMAN).count() == 4
        ),
        "the items to reach the human queue",
    )

    grant = access.request_access(
        acme,
        scope="resource",
        justification="case review",
        duration_minutes=60,
        acting_user=reviewer,
    )
    access.approve_access_request(grant, acting_user=review_manager)
    for _ in range(3):
        item = actions.claim_next_item(acting_user=reviewer, resource=acme)
        assert item is not None
        assert access.content_for(reviewer, item, request=None).text == VIOLENT
        actions.confirm_item(item, acting_user=reviewer, reason="threat of violence")

    case.refresh_from_db()
    assert case.status == AbuseCase.Status.CONFIRMED
    notice = EnforcementAction.objects.get(resource=acme)
    assert notice.kind == EnforcementAction.Kind.NOTICE
    assert any(owner.email in message.to for message in mail.outbox)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert actions.enforce_missed_deadlines() == 1
    acme.refresh_from_db()
    assert acme.status == "suspended"
    refused = client.post(
        ANALYZE, {"text": "hello"}, content_type="application/json", headers=headers
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"]
