"""Just-in-time access pages: request, my grants, approvals, revoke, break glass, audit log."""

import csv
import io
from datetime import timedelta

from django.utils import timezone

from review.access import request_access
from review.models import AccessRequest, AuditLogEntry, ReviewerProfile


def ask(user, resource, minutes=60, **extra):
    return request_access(
        resource,
        scope="queue",
        justification="queue work",
        duration_minutes=minutes,
        acting_user=user,
        **extra,
    )


def test_reviewer_requests_access_and_sees_the_cap(page_as, eea_reviewer, acme):
    client = page_as(eea_reviewer)
    url = f"/review/r/{acme.pk}/access/request/"
    assert "240 minutes" in client.get(url).content.decode()
    response = client.post(
        url, {"scope": "queue", "justification": "working the queue", "duration_minutes": 90}
    )
    assert response.status_code == 302 and response["Location"] == "/review/access/"
    created = AccessRequest.objects.get(requester=eea_reviewer)
    assert (created.status, created.requested_minutes, created.scope) == ("pending", 90, "queue")
    page = client.get("/review/access/").content.decode()
    assert "working the queue" in page and "Cancel" in page
    assert AuditLogEntry.objects.filter(action="access.requested").count() == 1


def test_request_beyond_the_cap_or_without_justification_is_refused(
    page_as, eea_reviewer, acme, case
):
    client = page_as(eea_reviewer)
    url = f"/review/r/{acme.pk}/access/request/"
    bad = [
        {"scope": "queue", "justification": "x", "duration_minutes": 241},
        {"scope": "queue", "justification": "", "duration_minutes": 30},
        {"scope": "case", "justification": "x", "duration_minutes": 30},  # no case named
        {"scope": "galaxy", "justification": "x", "duration_minutes": 30},
    ]
    for data in bad:
        assert client.post(url, data).status_code == 400, data
    assert not AccessRequest.objects.exists()
    ok = {"scope": "case", "case": case.pk, "justification": "x", "duration_minutes": 30}
    assert client.post(url, ok).status_code == 302


def test_request_page_refuses_wrong_roles_and_other_tenants(
    page_as, owner, non_eea_reviewer, eea_reviewer, acme, globex
):
    assert page_as(owner).get(f"/review/r/{acme.pk}/access/request/").status_code == 403
    assert page_as(non_eea_reviewer).get(f"/review/r/{acme.pk}/access/request/").status_code == 403
    assert page_as(eea_reviewer).get(f"/review/r/{globex.pk}/access/request/").status_code == 404
    assert page_as(eea_reviewer).put(f"/review/r/{acme.pk}/access/request/").status_code == 405


def test_manager_approves_shorter_and_the_reviewer_sees_time_left(
    page_as, eea_reviewer, eea_manager, acme
):
    pending = ask(eea_reviewer, acme, minutes=120)
    manager = page_as(eea_manager)
    inbox = manager.get("/review/access/approvals/").content.decode()
    assert "rita" in inbox and "queue work" in inbox and 'max="120"' in inbox
    response = manager.post(f"/review/access/{pending.pk}/approve/", {"duration_minutes": 45})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "approved" and pending.granted_minutes == 45
    mine = page_as(eea_reviewer).get("/review/access/").content.decode()
    assert "44 min" in mine or "45 min" in mine


def test_approver_cannot_extend(page_as, eea_reviewer, eea_manager, acme):
    pending = ask(eea_reviewer, acme, minutes=30)
    response = page_as(eea_manager).post(
        f"/review/access/{pending.pk}/approve/", {"duration_minutes": 90}
    )
    assert response.status_code == 400 and "shorten" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_self_approval_is_not_offered_and_refused(page_as, eea_manager, second_manager, acme):
    own = ask(eea_manager, acme)
    client = page_as(eea_manager)
    inbox = client.get("/review/access/approvals/").content.decode()
    assert "another review manager decides" in inbox
    assert f"/review/access/{own.pk}/approve/" not in inbox
    assert client.post(f"/review/access/{own.pk}/approve/").status_code == 403
    assert client.post(f"/review/access/{own.pk}/deny/", {"reason": "no"}).status_code == 403
    own.refresh_from_db()
    assert own.status == "pending"
    assert page_as(second_manager).post(f"/review/access/{own.pk}/approve/").status_code == 302


def test_deny_needs_a_reason_and_a_decided_request_answers_409(
    page_as, eea_reviewer, eea_manager, acme
):
    pending = ask(eea_reviewer, acme)
    client = page_as(eea_manager)
    assert client.post(f"/review/access/{pending.pk}/deny/", {"reason": ""}).status_code == 400
    assert client.post(f"/review/access/{pending.pk}/deny/", {"reason": "why?"}).status_code == 302
    pending.refresh_from_db()
    assert pending.status == "denied" and pending.decision_reason == "why?"
    assert client.post(f"/review/access/{pending.pk}/approve/").status_code == 409


def test_reviewers_cannot_approve_and_other_tenants_get_404(
    page_as, eea_reviewer, colleague_of_rita, outsider, acme
):
    pending = ask(eea_reviewer, acme)
    assert page_as(colleague_of_rita).get("/review/access/approvals/").status_code == 403
    assert (
        page_as(colleague_of_rita).post(f"/review/access/{pending.pk}/approve/").status_code == 403
    )
    assert page_as(outsider).post(f"/review/access/{pending.pk}/approve/").status_code == 404
    assert page_as(eea_reviewer).get(f"/review/access/{pending.pk}/approve/").status_code == 405


def test_manager_revokes_a_grant_at_once(page_as, eea_reviewer, eea_manager, acme, grant):
    running = grant(eea_reviewer, acme)
    client = page_as(eea_manager)
    assert "Revoke now" in client.get("/review/access/approvals/").content.decode()
    response = client.post(f"/review/access/{running.pk}/revoke/", {"reason": "done"})
    assert response.status_code == 302
    running.refresh_from_db()
    assert running.status == "revoked"
    assert client.post(f"/review/access/{running.pk}/revoke/").status_code == 409


def test_holder_gives_up_and_cancels_own_requests(page_as, eea_reviewer, acme, grant):
    running = grant(eea_reviewer, acme)
    pending = ask(eea_reviewer, acme)
    client = page_as(eea_reviewer)
    assert client.post(f"/review/access/{running.pk}/revoke/").status_code == 302
    assert client.post(f"/review/access/{pending.pk}/cancel/").status_code == 302
    pending.refresh_from_db()
    assert pending.status == "cancelled"
    assert client.post(f"/review/access/{pending.pk}/cancel/").status_code == 409


def test_break_glass_is_for_designated_accounts_and_warns(page_as, eea_reviewer, acme):
    client = page_as(eea_reviewer)
    assert client.get("/review/access/break-glass/").status_code == 403
    ReviewerProfile.objects.filter(user=eea_reviewer).update(can_break_glass=True)
    page = client.get("/review/access/break-glass/").content.decode()
    assert "Emergency use only" in page and "alerted" in page
    data = {"resource": acme.pk, "scope": "resource", "justification": "child safety"}
    assert client.post("/review/access/break-glass/", data).status_code == 400  # not acknowledged
    response = client.post("/review/access/break-glass/", {**data, "acknowledge": "on"})
    assert response.status_code == 302
    used = AccessRequest.objects.get(requester=eea_reviewer)
    assert used.break_glass and used.status == "approved"
    assert AuditLogEntry.objects.filter(action="access.break_glass").exists()


def test_break_glass_use_is_reviewed_by_another_manager(page_as, eea_reviewer, eea_manager, acme):
    from review.access import break_glass

    ReviewerProfile.objects.filter(user=eea_reviewer).update(can_break_glass=True)
    used = break_glass(acme, scope="resource", justification="now", acting_user=eea_reviewer)
    client = page_as(eea_manager)
    assert "Mark reviewed" in client.get("/review/access/approvals/").content.decode()
    assert client.post(f"/review/access/{used.pk}/reviewed/", {"reason": "fine"}).status_code == 302
    used.refresh_from_db()
    assert used.post_reviewed_by == eea_manager


def test_audit_log_filters_and_exports_csv(page_as, eea_reviewer, eea_manager, acme, grant):
    grant(eea_reviewer, acme)
    client = page_as(eea_manager)
    page = client.get("/review/audit/").content.decode()
    assert "access.requested" in page and "access.approved" in page and "Export CSV" in page
    filtered = client.get("/review/audit/", {"action": "access.approved"}).content.decode()
    assert "access.approved" in filtered and "access.requested" not in filtered
    fragment = client.get("/review/audit/", {"actor": "rita"}, HTTP_HX_REQUEST="true")
    assert (
        "<html" not in fragment.content.decode() and "access.requested" in fragment.content.decode()
    )
    export = client.get("/review/audit/export.csv", {"action": "access."})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:3] == ["time", "actor", "action"]
    assert {row[2] for row in rows[1:]} == {"access.requested", "access.approved"}


def test_audit_log_refuses_bad_dates_reviewers_and_hides_other_tenants(
    page_as, eea_reviewer, eea_manager, outsider, acme, globex
):
    from review.access import audit

    audit(actor=outsider, action="case.confirmed", target=globex, resource=globex)
    client = page_as(eea_manager)
    assert client.get("/review/audit/", {"since": "yesterday"}).status_code == 400
    assert client.get("/review/audit/export.csv", {"since": "nope"}).status_code == 400
    assert "case.confirmed" not in client.get("/review/audit/").content.decode()
    assert client.get("/review/audit/", {"resource": globex.pk}).status_code == 400
    assert page_as(eea_reviewer).get("/review/audit/").status_code == 403
    assert page_as(eea_reviewer).get("/review/audit/export.csv").status_code == 403
    assert client.post("/review/audit/").status_code == 405


def test_expired_grants_leave_the_active_list(page_as, eea_reviewer, acme, grant):
    import time_machine

    grant(eea_reviewer, acme, minutes=10)
    client = page_as(eea_reviewer)
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        page = client.get("/review/access/").content.decode()
    assert "No active grant." in page


def test_extending_a_grant_is_a_new_request(page_as, eea_reviewer, colleague_of_rita, acme, grant):
    running = grant(eea_reviewer, acme, minutes=30)
    client = page_as(eea_reviewer)
    url = f"/review/access/{running.pk}/extend/"
    assert client.post(url, {"duration_minutes": 999, "justification": "more"}).status_code == 400
    assert client.post(url, {"duration_minutes": 30, "justification": ""}).status_code == 400
    assert client.post(url, {"duration_minutes": 30, "justification": "more"}).status_code == 302
    extension = AccessRequest.objects.get(extends=running)
    assert extension.status == "pending" and extension.requested_minutes == 30
    running.refresh_from_db()
    assert running.status == "approved"
    assert page_as(colleague_of_rita).post(url, {"duration_minutes": 5}).status_code == 404
    assert client.get(url).status_code == 405
