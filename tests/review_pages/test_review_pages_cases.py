"""Cases (score explained, decisions), owners' notices with replies and one appeal, and the
dashboards with their Chart.js data."""

import json
import re

from review.actions import confirm_case, file_appeal, sanction_resource
from review.models import AbuseCase, Appeal, EnforcementAction


def test_case_detail_explains_the_stored_score(page_as, eea_reviewer, case):
    page = page_as(eea_reviewer).get(f"/review/cases/{case.pk}/").content.decode()
    assert "14.20" in page and "Trend multiplier" in page and "a rising rate scores higher" in page
    assert "Confirm and notify" not in page  # reviewers do not decide cases
    listing = page_as(eea_reviewer).get("/review/cases/").content.decode()
    assert f"/review/cases/{case.pk}/" in listing


def test_manager_confirms_a_case_and_the_owner_gets_a_notice_with_a_deadline(
    page_as, eea_manager, owner, case
):
    client = page_as(eea_manager)
    assert (
        "Confirm and notify the owner" in client.get(f"/review/cases/{case.pk}/").content.decode()
    )
    response = client.post(f"/review/cases/{case.pk}/confirm/", {"reason": "clear pattern"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "confirmed"
    notice = EnforcementAction.objects.get(case=case)
    assert notice.kind == "notice" and notice.remediation_deadline is not None
    assert client.post(f"/review/cases/{case.pk}/confirm/").status_code == 409
    owners_view = page_as(owner).get(f"/review/notices/{notice.pk}/").content.decode()
    assert "Remediation deadline" in owners_view and "Send reply" in owners_view


def test_dismissing_a_case_needs_a_reason(page_as, eea_manager, case):
    client = page_as(eea_manager)
    assert client.post(f"/review/cases/{case.pk}/dismiss/", {"reason": ""}).status_code == 400
    assert (
        client.post(f"/review/cases/{case.pk}/dismiss/", {"reason": "test traffic"}).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == "dismissed"


def test_manager_suspends_from_the_case(page_as, eea_manager, case, acme):
    client = page_as(eea_manager)
    assert (
        client.post(
            f"/review/cases/{case.pk}/sanction/", {"kind": "exile", "reason": "x"}
        ).status_code
        == 400
    )
    response = client.post(
        f"/review/cases/{case.pk}/sanction/", {"kind": "suspension", "reason": "severe"}
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.status == "suspended"


def test_case_pages_refuse_wrong_roles_methods_and_other_tenants(
    page_as, eea_reviewer, owner, outsider, case
):
    assert page_as(eea_reviewer).post(f"/review/cases/{case.pk}/confirm/").status_code == 403
    assert page_as(owner).get(f"/review/cases/{case.pk}/").status_code == 403
    assert page_as(outsider).get(f"/review/cases/{case.pk}/").status_code == 404
    assert (
        page_as(outsider).post(f"/review/cases/{case.pk}/dismiss/", {"reason": "x"}).status_code
        == 404
    )
    assert page_as(eea_reviewer).get(f"/review/cases/{case.pk}/confirm/").status_code == 405
    assert page_as(owner).get("/review/cases/").status_code == 403


def notice_for(case, manager):
    confirm_case(case, acting_user=manager, reason="pattern")
    return EnforcementAction.objects.get(case=case)


def test_owner_replies_and_appeals_once(page_as, eea_manager, owner, case):
    notice = notice_for(case, eea_manager)
    client = page_as(owner)
    assert f"/review/notices/{notice.pk}/" in client.get("/review/notices/").content.decode()
    assert client.post(f"/review/notices/{notice.pk}/reply/", {"text": ""}).status_code == 400
    assert (
        client.post(f"/review/notices/{notice.pk}/reply/", {"text": "fixed it"}).status_code == 302
    )
    assert (
        client.post(f"/review/notices/{notice.pk}/appeal/", {"text": "unfair"}).status_code == 302
    )
    page = client.get(f"/review/notices/{notice.pk}/").content.decode()
    assert "fixed it" in page and "unfair" in page and "File the appeal" not in page
    assert client.post(f"/review/notices/{notice.pk}/appeal/", {"text": "again"}).status_code == 409
    assert Appeal.objects.filter(action=notice).count() == 1


def test_manager_approves_an_appeal_and_the_suspension_is_undone(page_as, eea_manager, owner, acme):
    suspension = sanction_resource(acme, kind="suspension", reason="abuse", acting_user=eea_manager)
    file_appeal(suspension, text="it was a test", acting_user=owner)
    client = page_as(eea_manager)
    assert "Appeals waiting" in client.get("/review/notices/").content.decode()
    assert (
        client.post(
            f"/review/notices/{suspension.pk}/appeal/decide/", {"decision": "maybe"}
        ).status_code
        == 400
    )
    response = client.post(
        f"/review/notices/{suspension.pk}/appeal/decide/", {"decision": "approve", "reason": "ok"}
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    suspension.refresh_from_db()
    assert acme.status == "active" and suspension.status == "reverted"
    again = client.post(f"/review/notices/{suspension.pk}/appeal/decide/", {"decision": "reject"})
    assert again.status_code == 409


def test_notices_refuse_reviewers_owners_deciding_and_other_tenants(
    page_as, eea_manager, eea_reviewer, owner, outsider, acme
):
    suspension = sanction_resource(acme, kind="suspension", reason="abuse", acting_user=eea_manager)
    file_appeal(suspension, text="please", acting_user=owner)
    url = f"/review/notices/{suspension.pk}/"
    assert page_as(eea_reviewer).get(url).status_code == 403
    assert page_as(outsider).get(url).status_code == 404
    assert page_as(owner).post(url + "appeal/decide/", {"decision": "approve"}).status_code == 403
    assert page_as(eea_manager).post(url + "reply/", {"text": "hi"}).status_code == 403
    assert page_as(owner).get(url + "reply/").status_code == 405


def test_manager_resolves_a_notice(page_as, eea_manager, case):
    notice = notice_for(case, eea_manager)
    client = page_as(eea_manager)
    assert client.post(f"/review/notices/{notice.pk}/resolve/", {"reason": "ok"}).status_code == 302
    notice.refresh_from_db()
    assert notice.status == "resolved"
    assert client.post(f"/review/notices/{notice.pk}/resolve/").status_code == 409


def chart_data(html):
    found = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


def test_dashboard_embeds_chart_data_and_tables(page_as, eea_reviewer, acme, new_item, case):
    new_item(acme, category="violence", severity=2)
    client = page_as(eea_reviewer)
    html = client.get(f"/review/r/{acme.pk}/dashboard/", {"days": 7}).content.decode()
    data = chart_data(html)
    assert len(data["days"]) == 8
    assert sum(data["by_category"]["hate"]) == 1 and sum(data["by_category"]["violence"]) == 1
    assert sum(data["by_severity"]["high (6–7)"]) == 1
    assert data["ageing"]["under_1h"] == 2
    assert "chart.umd.min.js" in html and "Open cases" in html and "14.2" in html
    overall = client.get("/review/dashboard/").content.decode()
    assert sum(chart_data(overall)["by_category"]["hate"]) == 1


def test_dashboard_refuses_bad_input_wrong_roles_and_other_tenants(
    page_as, eea_reviewer, owner, outsider, acme
):
    assert page_as(eea_reviewer).get("/review/dashboard/", {"days": "lots"}).status_code == 400
    assert page_as(owner).get(f"/review/r/{acme.pk}/dashboard/").status_code == 403
    assert page_as(owner).get("/review/dashboard/").status_code == 403
    assert page_as(outsider).get(f"/review/r/{acme.pk}/dashboard/").status_code == 404
    assert page_as(eea_reviewer).post("/review/dashboard/").status_code == 405


def test_navigation_links_follow_roles(page_as, eea_reviewer, owner, editor, acme, staff):
    assert 'href="/review/"' in page_as(eea_reviewer).get("/").content.decode()
    assert 'href="/review/"' in page_as(staff).get("/").content.decode()
    assert 'href="/review/"' not in page_as(editor).get("/").content.decode()
    resource_page = page_as(eea_reviewer).get(f"/resources/{acme.pk}/activity/").content.decode()
    assert f'href="/review/r/{acme.pk}/"' in resource_page
    owner_page = page_as(owner).get(f"/resources/{acme.pk}/activity/").content.decode()
    assert 'href="/review/notices/"' in owner_page and f"/review/r/{acme.pk}/" not in owner_page


def test_every_case_list_only_shows_the_users_resources(page_as, eea_reviewer, globex):
    AbuseCase.objects.create(resource=globex, score=20, threshold=10)
    assert "globex" not in page_as(eea_reviewer).get("/review/cases/").content.decode()
