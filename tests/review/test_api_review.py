"""The review REST API: metadata only without a grant on every route, content with one,
conflicts as 409, roles, tenants, exports and dashboard data."""

import json

import pytest

from review.models import AccessRequest, FlaggedItem, ReviewerProfile

pytestmark = pytest.mark.django_db

SECRET = "I will hurt them all"
BASE = "/api/v1/review"


def _everything(client, item, resource):
    """Every GET route of the API, as a reviewer would browse them."""
    routes = [
        f"{BASE}/items/",
        f"{BASE}/items/{item.pk}/",
        f"{BASE}/items/queue/",
        f"{BASE}/items/{item.pk}/history/",
        f"{BASE}/items/{item.pk}/notes/",
        f"{BASE}/items/export/?resource={resource.pk}",
        f"{BASE}/cases/",
        f"{BASE}/access-requests/",
        f"{BASE}/audit-log/",
        f"{BASE}/audit-log/export/",
        f"{BASE}/actions/",
        f"{BASE}/dashboard/?resource={resource.pk}",
    ]
    bodies = []
    for route in routes:
        response = client.get(route)
        assert response.status_code == 200, (route, response.status_code)
        body = (
            b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content
        )
        bodies.append(body.decode())
    return "\n".join(bodies)


def _confirmed(item, user):
    FlaggedItem.objects.filter(pk=item.pk).update(
        status="confirmed", stage="done", reviewed_severity=item.severity
    )


def test_no_route_shows_content_without_a_grant(api_as, item, eea_reviewer, eea_manager):
    _confirmed(item, eea_reviewer)
    client = api_as(eea_reviewer)
    everything = _everything(client, item, item.resource)
    assert SECRET not in everything
    assert '"severity"' in everything  # metadata is there
    response = client.get(f"{BASE}/items/{item.pk}/content/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Forbidden"


def test_grant_requested_approved_and_used_over_rest(api_as, item, eea_reviewer, eea_manager):
    reviewer_client, manager_client = api_as(eea_reviewer), api_as(eea_manager)
    created = reviewer_client.post(
        f"{BASE}/access-requests/",
        {
            "resource": str(item.resource.pk),
            "scope": "queue",
            "justification": "triage",
            "duration_minutes": 30,
        },
        format="json",
    )
    assert created.status_code == 201
    request_id = created.json()["id"]
    assert reviewer_client.post(f"{BASE}/access-requests/{request_id}/approve/").status_code == 403
    approved = manager_client.post(
        f"{BASE}/access-requests/{request_id}/approve/", {"duration_minutes": 10}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["active"] is True
    shown = reviewer_client.get(f"{BASE}/items/{item.pk}/content/")
    assert shown.status_code == 200 and shown.json()["text"] == SECRET
    again = manager_client.post(f"{BASE}/access-requests/{request_id}/approve/")
    assert again.status_code == 409
    _confirmed(item, eea_reviewer)
    export = reviewer_client.get(f"{BASE}/items/export/?resource={item.resource.pk}")
    line = json.loads(b"".join(export.streaming_content).decode().splitlines()[0])
    assert line["text"] == SECRET and line["severity"] == item.severity
    manager_client.post(f"{BASE}/access-requests/{request_id}/revoke/")
    assert reviewer_client.get(f"{BASE}/items/{item.pk}/content/").status_code == 403
    export = reviewer_client.get(f"{BASE}/items/export/?resource={item.resource.pk}")
    assert SECRET not in b"".join(export.streaming_content).decode()


def test_approver_cannot_extend_over_rest(api_as, acme, eea_reviewer, eea_manager):
    created = api_as(eea_reviewer).post(
        f"{BASE}/access-requests/",
        {"resource": str(acme.pk), "scope": "queue", "justification": "x", "duration_minutes": 30},
        format="json",
    )
    response = api_as(eea_manager).post(
        f"{BASE}/access-requests/{created.json()['id']}/approve/",
        {"duration_minutes": 60},
        format="json",
    )
    assert response.status_code == 400
    too_long = api_as(eea_reviewer).post(
        f"{BASE}/access-requests/",
        {"resource": str(acme.pk), "scope": "queue", "justification": "x", "duration_minutes": 600},
        format="json",
    )
    assert too_long.status_code == 400


def test_claim_next_and_decide_over_rest_with_conflicts(api_as, item, eea_reviewer, colleague):
    rita, bree = api_as(eea_reviewer), api_as(colleague)
    claimed = rita.post(f"{BASE}/items/claim-next/", {}, format="json")
    assert claimed.status_code == 200 and claimed.json()["id"] == str(item.pk)
    assert bree.post(f"{BASE}/items/claim-next/", {}, format="json").status_code == 204
    lost = bree.post(f"{BASE}/items/{item.pk}/claim/")
    assert lost.status_code == 409 and lost.json()["error"]["code"] == "Conflict"
    assert bree.post(f"{BASE}/items/{item.pk}/confirm/", {}, format="json").status_code == 409
    bad = rita.post(
        f"{BASE}/items/{item.pk}/correct/", {"category": "nope", "severity": 9}, format="json"
    )
    assert bad.status_code == 400
    done = rita.post(
        f"{BASE}/items/{item.pk}/correct/", {"category": "violence", "severity": 5}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "corrected"
    history = rita.get(f"{BASE}/items/{item.pk}/history/").json()
    assert [h["action"] for h in history][-2:] == ["claimed", "corrected"]
    assert rita.get(f"{BASE}/items/{item.pk}/confirm/").status_code == 405


def test_other_tenants_and_non_reviewers_see_nothing(api_as, item, outsider, owner, editor):
    assert api_as(outsider).get(f"{BASE}/items/{item.pk}/").status_code == 404
    assert api_as(outsider).get(f"{BASE}/items/").json()["results"] == []
    assert api_as(editor).get(f"{BASE}/items/{item.pk}/content/").status_code == 404
    assert api_as(None).get(f"{BASE}/items/").status_code == 401
    assert api_as(outsider).get(f"{BASE}/dashboard/?resource={item.resource.pk}").status_code == 404
    assert api_as(owner).get(f"{BASE}/dashboard/?resource={item.resource.pk}").status_code == 403


def test_bulk_is_for_managers(api_as, item, eea_reviewer, eea_manager):
    body = {"items": [str(item.pk)], "decision": "dismiss", "reason": "test traffic"}
    assert api_as(eea_reviewer).post(f"{BASE}/items/bulk/", body, format="json").status_code == 403
    done = api_as(eea_manager).post(f"{BASE}/items/bulk/", body, format="json")
    assert done.json() == {"done": [str(item.pk)], "skipped": []}


def test_break_glass_over_rest_only_for_designated(api_as, item, eea_reviewer):
    body = {"resource": str(item.resource.pk), "scope": "queue", "justification": "incident"}
    client = api_as(eea_reviewer)
    assert (
        client.post(f"{BASE}/access-requests/break-glass/", body, format="json").status_code == 403
    )
    ReviewerProfile.objects.filter(user=eea_reviewer).update(can_break_glass=True)
    granted = client.post(f"{BASE}/access-requests/break-glass/", body, format="json")
    assert granted.status_code == 201 and granted.json()["break_glass"] is True
    assert AccessRequest.objects.get().break_glass


def test_audit_log_export_for_managers_as_csv(api_as, item, eea_reviewer, eea_manager):
    api_as(eea_reviewer).get(f"{BASE}/items/{item.pk}/content/")
    response = api_as(eea_manager).get(f"{BASE}/audit-log/export/?resource={item.resource.pk}")
    assert response["Content-Type"].startswith("text/csv")
    assert "content.refused" in response.content.decode()
    denied = api_as(eea_reviewer).get(f"{BASE}/audit-log/export/?resource={item.resource.pk}")
    assert denied.status_code == 403


def test_dashboard_reports_volume_queue_health_and_cases(api_as, item, eea_manager):
    data = api_as(eea_manager).get(f"{BASE}/dashboard/?resource={item.resource.pk}").json()
    assert data["flagged_by_day"][0]["count"] == 1
    assert data["queue"]["pending_human"] == 1
    assert set(data["queue"]["ageing"]) == {"under_1h", "1h_to_4h", "4h_to_24h", "over_24h"}
    assert data["open_cases"] == []


def test_admin_never_shows_content(page_as, staff, item):
    staff.is_superuser = True
    staff.save()
    client = page_as(staff)
    for url in (
        f"/admin/review/classificationevent/{item.event_id}/change/",
        f"/admin/review/flaggeditem/{item.pk}/change/",
        "/admin/review/classificationevent/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode()
