"""Notification and action: confirmed abuse emails owners; a notice's missed deadline suspends
the resource and the runtime refuses it; severe abuse suspends at once; one appeal reverts."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone

from guardsite.keys import issue_keys
from guardsite.models import Resource
from guardsite.runtime.auth import RuntimeAccessError, authenticate
from review import actions
from review.models import AbuseCase, EnforcementAction, FlaggedItem

pytestmark = pytest.mark.django_db


def _case(resource, new_item, severity):
    case = AbuseCase.objects.create(resource=resource, score=12.0, threshold=10.0)
    for _ in range(3):
        item = new_item(resource, severity=severity)
        FlaggedItem.objects.filter(pk=item.pk).update(
            case=case, status="confirmed", stage="done", reviewed_severity=severity
        )
    return case


def _runtime_request(key):
    return RequestFactory().post("/contentsafety/text:analyze", HTTP_API_KEY=key)


def test_confirmed_abuse_emails_owners_and_opens_a_remediation_window(
    acme, owner, eea_manager, new_item, django_capture_on_commit_callbacks
):
    case = _case(acme, new_item, severity=4)
    with django_capture_on_commit_callbacks(execute=True):
        actions.confirm_case(case, acting_user=eea_manager, reason="pattern confirmed")
    notice = EnforcementAction.objects.get()
    assert notice.kind == "notice" and notice.remediation_deadline > timezone.now()
    assert mail.outbox[-1].to == [owner.email]
    assert "before" in mail.outbox[-1].body
    acme.refresh_from_db()
    assert acme.status == Resource.Status.ACTIVE


def test_missed_deadline_suspends_and_the_runtime_refuses(
    acme, owner, eea_manager, new_item, django_capture_on_commit_callbacks
):
    key, _ = issue_keys(acme, acting_user=owner)
    assert authenticate(_runtime_request(key)) == acme
    case = _case(acme, new_item, severity=4)
    actions.confirm_case(case, acting_user=eea_manager)
    with (
        time_machine.travel(timezone.now() + timedelta(days=8)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert actions.enforce_missed_deadlines() == 1
    acme.refresh_from_db()
    assert acme.status == Resource.Status.SUSPENDED
    with pytest.raises(RuntimeAccessError) as refused:
        authenticate(_runtime_request(key))
    assert refused.value.status == 403
    assert "suspended" in mail.outbox[-1].subject


def test_a_reply_before_the_deadline_prevents_suspension(acme, owner, eea_manager, new_item):
    case = _case(acme, new_item, severity=4)
    actions.confirm_case(case, acting_user=eea_manager)
    notice = EnforcementAction.objects.get()
    actions.reply_to_action(notice, text="We removed the offending bot.", acting_user=owner)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert actions.enforce_missed_deadlines() == 0
    assert notice.replies.get().text == "We removed the offending bot."


def test_severe_abuse_suspends_at_once_and_recurrence_after_a_suspension_terminates(
    acme, eea_manager, new_item
):
    actions.confirm_case(_case(acme, new_item, severity=7), acting_user=eea_manager)
    acme.refresh_from_db()
    assert acme.status == Resource.Status.SUSPENDED
    actions.confirm_case(_case(acme, new_item, severity=4), acting_user=eea_manager)
    acme.refresh_from_db()
    assert acme.status == Resource.Status.TERMINATED
    assert EnforcementAction.objects.filter(kind="termination", recurring=True).exists()


def test_one_appeal_per_action_and_approval_restores_the_status(
    acme, owner, eea_manager, new_item, django_capture_on_commit_callbacks
):
    key, _ = issue_keys(acme, acting_user=owner)
    actions.confirm_case(_case(acme, new_item, severity=7), acting_user=eea_manager)
    suspension = EnforcementAction.objects.get(kind="suspension")
    with pytest.raises(PermissionDenied):
        actions.file_appeal(suspension, text="not us", acting_user=eea_manager)
    appeal = actions.file_appeal(
        suspension, text="A test account was compromised.", acting_user=owner
    )
    with pytest.raises(ValidationError) as again:
        actions.file_appeal(suspension, text="again", acting_user=owner)
    assert again.value.code == "already_appealed"
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_appeal(appeal, approve=True, acting_user=eea_manager, reason="verified")
    acme.refresh_from_db()
    suspension.refresh_from_db()
    assert acme.status == Resource.Status.ACTIVE and suspension.status == "reverted"
    assert authenticate(_runtime_request(key)) == acme
    assert "approved" in mail.outbox[-1].subject


def test_case_confirms_itself_once_enough_items_are_confirmed(
    acme, eea_reviewer, new_item, settings
):
    settings.GUARDSITE_CASE_CONFIRM_MIN_ITEMS = 2
    case = AbuseCase.objects.create(resource=acme, score=12.0, threshold=10.0)
    items = [new_item(acme, severity=4) for _ in range(2)]
    FlaggedItem.objects.filter(pk__in=[i.pk for i in items]).update(case=case)
    for item in items:
        item.refresh_from_db()
        actions.claim_item(item, acting_user=eea_reviewer)
        actions.confirm_item(item, acting_user=eea_reviewer)
    case.refresh_from_db()
    assert case.status == "confirmed"
    assert EnforcementAction.objects.filter(case=case, kind="notice").exists()
