"""Just-in-time access: no standing access, requests, approvals, expiry, revocation, EEA,
break-glass, audit."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from review import access
from review.access import content_for
from review.models import AccessRequest, AuditLogEntry, ReviewerProfile

pytestmark = pytest.mark.django_db


def _grant(resource, requester, approver, minutes=60, **kw):
    request = access.request_access(
        resource,
        scope=kw.pop("scope", "queue"),
        justification="checking a flagged item",
        duration_minutes=minutes,
        acting_user=requester,
        **kw,
    )
    return access.approve_access_request(request, acting_user=approver)


def test_reviewer_without_grant_cannot_read_content(item, eea_reviewer):
    with pytest.raises(PermissionDenied):
        content_for(eea_reviewer, item, request=None)
    refused = AuditLogEntry.objects.get(action="content.refused")
    assert refused.actor == eea_reviewer and refused.target_id == str(item.pk)


def test_approved_grant_reveals_content_and_audits_the_view(item, eea_reviewer, eea_manager, rf):
    grant = _grant(item.resource, eea_reviewer, eea_manager)
    request = rf.get("/", REMOTE_ADDR="10.1.2.3")
    shown = content_for(eea_reviewer, item, request=request)
    assert shown.text == "I will hurt them all"
    view = AuditLogEntry.objects.get(action="content.viewed")
    assert (view.actor, view.grant_id, view.client_ip) == (eea_reviewer, grant.pk, "10.1.2.3")


def test_grant_expires_and_is_checked_on_every_read(item, eea_reviewer, eea_manager):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _grant(item.resource, eea_reviewer, eea_manager, minutes=30)
        assert content_for(eea_reviewer, item, request=None).text
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert content_for(eea_reviewer, item, request=None).text
    with (
        time_machine.travel(start + timedelta(minutes=31), tick=False),
        pytest.raises(PermissionDenied),
    ):
        content_for(eea_reviewer, item, request=None)


def test_revoked_grant_stops_access_at_once(item, eea_reviewer, eea_manager):
    grant = _grant(item.resource, eea_reviewer, eea_manager)
    assert content_for(eea_reviewer, item, request=None).text
    access.revoke_grant(grant, acting_user=eea_manager, reason="done")
    with pytest.raises(PermissionDenied):
        content_for(eea_reviewer, item, request=None)
    assert AuditLogEntry.objects.filter(action="access.revoked").exists()


def test_review_manager_cannot_approve_own_request(acme, eea_manager):
    request = access.request_access(
        acme, scope="queue", justification="x", duration_minutes=60, acting_user=eea_manager
    )
    with pytest.raises(PermissionDenied):
        access.approve_access_request(request, acting_user=eea_manager)
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.PENDING


def test_another_review_manager_approves_a_managers_request(acme, eea_manager, second_manager):
    request = access.request_access(
        acme, scope="queue", justification="x", duration_minutes=60, acting_user=eea_manager
    )
    granted = access.approve_access_request(request, acting_user=second_manager)
    assert granted.status == AccessRequest.Status.APPROVED


def test_plain_reviewer_cannot_approve(acme, eea_manager, eea_reviewer):
    request = access.request_access(
        acme, scope="queue", justification="x", duration_minutes=60, acting_user=eea_manager
    )
    with pytest.raises(PermissionDenied):
        access.approve_access_request(request, acting_user=eea_reviewer)


def test_duration_is_capped_per_role(acme, eea_reviewer, eea_manager, second_manager):
    with pytest.raises(ValidationError):
        access.request_access(
            acme, scope="queue", justification="x", duration_minutes=241, acting_user=eea_reviewer
        )
    assert access.request_access(
        acme, scope="queue", justification="x", duration_minutes=240, acting_user=eea_reviewer
    )
    assert access.request_access(
        acme, scope="queue", justification="x", duration_minutes=480, acting_user=eea_manager
    )


def test_approver_can_shorten_but_not_extend(acme, eea_reviewer, eea_manager):
    request = access.request_access(
        acme, scope="queue", justification="x", duration_minutes=60, acting_user=eea_reviewer
    )
    with pytest.raises(ValidationError):
        access.approve_access_request(request, acting_user=eea_manager, duration_minutes=90)
    with time_machine.travel(timezone.now(), tick=False):
        granted = access.approve_access_request(
            request, acting_user=eea_manager, duration_minutes=15
        )
        assert granted.expires_at == timezone.now() + timedelta(minutes=15)


def test_extending_needs_a_new_approval(item, eea_reviewer, eea_manager):
    grant = _grant(item.resource, eea_reviewer, eea_manager, minutes=30)
    extension = access.request_extension(
        grant, justification="need more time", duration_minutes=30, acting_user=eea_reviewer
    )
    grant.refresh_from_db()
    assert extension.status == AccessRequest.Status.PENDING
    assert extension.extends == grant
    assert grant.granted_minutes == 30


def test_reviewer_outside_the_eea_cannot_request_or_read_eea_content(item, non_eea_reviewer):
    with pytest.raises(PermissionDenied):
        access.request_access(
            item.resource,
            scope="queue",
            justification="x",
            duration_minutes=60,
            acting_user=non_eea_reviewer,
        )
    with pytest.raises(PermissionDenied):
        content_for(non_eea_reviewer, item, request=None)


def test_grant_stops_working_when_reviewer_leaves_the_eea(item, eea_reviewer, eea_manager):
    _grant(item.resource, eea_reviewer, eea_manager)
    ReviewerProfile.objects.filter(user=eea_reviewer).update(located_in_eea=False)
    with pytest.raises(PermissionDenied):
        content_for(eea_reviewer, item, request=None)


def test_owner_and_outsider_are_not_eligible(acme, owner, outsider):
    for user in (owner, outsider):
        with pytest.raises(PermissionDenied):
            access.request_access(
                acme, scope="queue", justification="x", duration_minutes=60, acting_user=user
            )


def test_case_scope_covers_only_that_case(acme, eea_reviewer, eea_manager, new_item):
    from review.models import AbuseCase

    make_item = new_item
    case = AbuseCase.objects.create(resource=acme, score=12, threshold=10)
    inside = make_item(acme)
    inside.case = case
    inside.save()
    outside = make_item(acme)
    _grant(acme, eea_reviewer, eea_manager, scope="case", case=case)
    assert content_for(eea_reviewer, inside, request=None).text
    with pytest.raises(PermissionDenied):
        content_for(eea_reviewer, outside, request=None)


def test_approvers_are_notified_of_requests_and_requesters_of_decisions(
    acme, eea_reviewer, eea_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = access.request_access(
            acme, scope="queue", justification="x", duration_minutes=60, acting_user=eea_reviewer
        )
    assert mail.outbox[-1].to == [eea_manager.email]
    with django_capture_on_commit_callbacks(execute=True):
        access.deny_access_request(request, acting_user=eea_manager, reason="not needed")
    assert mail.outbox[-1].to == [eea_reviewer.email]
    assert "denied" in mail.outbox[-1].subject


def test_unanswered_requests_expire(acme, eea_reviewer, eea_manager):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request = access.request_access(
            acme, scope="queue", justification="x", duration_minutes=60, acting_user=eea_reviewer
        )
    with time_machine.travel(start + timedelta(hours=5), tick=False):
        assert access.expire_unanswered_requests() == 1
        request.refresh_from_db()
        assert request.status == AccessRequest.Status.EXPIRED
        with pytest.raises(ValidationError):
            access.approve_access_request(request, acting_user=eea_manager)


def test_break_glass_is_limited_to_designated_accounts(item, eea_reviewer):
    with pytest.raises(PermissionDenied):
        access.break_glass(
            item.resource, scope="queue", justification="live incident", acting_user=eea_reviewer
        )
    assert not AccessRequest.objects.exists()


def test_break_glass_grants_at_once_alerts_managers_and_is_flagged(
    item, eea_reviewer, eea_manager, django_capture_on_commit_callbacks
):
    ReviewerProfile.objects.filter(user=eea_reviewer).update(can_break_glass=True)
    with django_capture_on_commit_callbacks(execute=True):
        grant = access.break_glass(
            item.resource, scope="queue", justification="live incident", acting_user=eea_reviewer
        )
    assert content_for(eea_reviewer, item, request=None).text
    assert grant.break_glass and grant.post_reviewed_at is None
    assert mail.outbox[-1].to == [eea_manager.email]
    assert "break-glass" in mail.outbox[-1].subject
    with pytest.raises(PermissionDenied):
        access.mark_break_glass_reviewed(grant, acting_user=eea_reviewer)
    access.mark_break_glass_reviewed(grant, acting_user=eea_manager, notes="justified")
    assert AuditLogEntry.objects.filter(action="access.break_glass").exists()


def test_audit_log_is_append_only(item, eea_reviewer):
    with pytest.raises(PermissionDenied):
        content_for(eea_reviewer, item, request=None)
    entry = AuditLogEntry.objects.get()
    entry.action = "tampered"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_audit_csv_export_lists_every_access_event(item, eea_reviewer, eea_manager):
    from review.services import audit_csv

    grant = _grant(item.resource, eea_reviewer, eea_manager)
    content_for(eea_reviewer, item, request=None)
    access.revoke_grant(grant, acting_user=eea_manager)
    rows = list(csv.DictReader(io.StringIO(audit_csv(AuditLogEntry.objects.all()))))
    assert [row["action"] for row in rows] == [
        "access.requested",
        "access.approved",
        "content.viewed",
        "access.revoked",
    ]
    assert {"time", "actor", "action", "target_type", "target_id", "client_ip"} <= set(rows[0])
    assert "I will hurt" not in "".join(str(row) for row in rows)
