"""No byte of content in any review page or fragment without an active grant; with one, the
reveal shows it and writes the audit row."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from review_pages_helpers import SECRET

from review.access import revoke_grant
from review.actions import claim_item
from review.models import AuditLogEntry

HTMX = {"HTTP_HX_REQUEST": "true"}


def every_page(client, item, case=None):
    """Every review page a reviewer can open about the item, and its htmx fragments."""
    resource = item.resource
    urls = [
        "/review/",
        f"/review/r/{resource.pk}/",
        f"/review/items/{item.pk}/",
        f"/review/r/{resource.pk}/dashboard/",
        "/review/dashboard/",
        "/review/cases/",
        "/review/access/",
        f"/review/r/{resource.pk}/access/request/",
    ]
    if case is not None:
        urls.append(f"/review/cases/{case.pk}/")
    pages = [client.get(url) for url in urls]
    pages += [client.get(url, **HTMX) for url in urls[:3]]
    pages.append(client.post(f"/review/items/{item.pk}/reveal/"))
    pages.append(client.post(f"/review/items/{item.pk}/reveal/", **HTMX))
    pages.append(client.post(f"/review/items/{item.pk}/notes/", {"text": "seen"}, **HTMX))
    return pages


def assert_no_content(pages):
    for response in pages:
        assert response.status_code in (200, 302, 403), response
        assert SECRET not in response.content.decode()


def test_reviewer_without_grant_sees_metadata_only_everywhere(page_as, eea_reviewer, item, case):
    client = page_as(eea_reviewer)
    assert_no_content(every_page(client, item, case))
    page = client.get(f"/review/items/{item.pk}/").content.decode()
    assert "hate" in page and "Request access" in page and "Reveal content" not in page


def test_reveal_without_grant_refuses_with_a_request_access_link(page_as, eea_reviewer, item):
    client = page_as(eea_reviewer)
    response = client.post(f"/review/items/{item.pk}/reveal/")
    assert response.status_code == 403
    assert "No active access grant" in response.content.decode()
    fragment = client.post(f"/review/items/{item.pk}/reveal/", **HTMX)
    html = fragment.content.decode()
    assert "<html" not in html and "Request access" in html and SECRET not in html
    assert AuditLogEntry.objects.filter(action="content.refused", target_id=str(item.pk)).count()


def test_with_a_grant_only_the_reveal_shows_content_and_it_is_audited(
    page_as, eea_reviewer, item, grant
):
    grant(eea_reviewer, item.resource)
    client = page_as(eea_reviewer)
    page = client.get(f"/review/items/{item.pk}/").content.decode()
    assert SECRET not in page and "Reveal content" in page  # blurred until the reviewer chooses
    response = client.post(f"/review/items/{item.pk}/reveal/", **HTMX)
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    viewed = AuditLogEntry.objects.get(action="content.viewed", target_id=str(item.pk))
    assert viewed.actor == eea_reviewer and viewed.grant is not None
    assert viewed.client_ip == "127.0.0.1"
    full = client.post(f"/review/items/{item.pk}/reveal/")
    assert (
        full.status_code == 200
        and SECRET in full.content.decode()
        and "<html" in full.content.decode()
    )
    assert AuditLogEntry.objects.filter(action="content.viewed").count() == 2


def test_expired_grant_shows_no_content(page_as, eea_reviewer, item, grant):
    grant(eea_reviewer, item.resource, minutes=30)
    client = page_as(eea_reviewer)
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        assert_no_content(every_page(client, item))
        response = client.post(f"/review/items/{item.pk}/reveal/")
        assert response.status_code == 403


def test_revoked_grant_stops_content_at_once(page_as, eea_reviewer, eea_manager, item, grant):
    running = grant(eea_reviewer, item.resource)
    client = page_as(eea_reviewer)
    assert SECRET in client.post(f"/review/items/{item.pk}/reveal/").content.decode()
    revoke_grant(running, acting_user=eea_manager, reason="done")
    assert_no_content(every_page(client, item))


def test_reviewer_outside_the_eea_never_sees_eea_content(
    page_as, non_eea_reviewer, eea_manager, item
):
    # Nils cannot even ask for a grant on acme; the pages refuse him outright.
    client = page_as(non_eea_reviewer)
    assert client.get(f"/review/items/{item.pk}/").status_code == 403
    assert_no_content(every_page(client, item))


def test_grant_on_another_case_does_not_cover_the_item(
    page_as, eea_reviewer, item, case, new_item, acme, grant
):
    from review.models import AbuseCase

    other_case = AbuseCase.objects.create(
        resource=acme, score=11, threshold=10, status=AbuseCase.Status.DISMISSED
    )
    grant(eea_reviewer, acme, scope="case", case=other_case)
    assert_no_content(every_page(page_as(eea_reviewer), item, case))


def test_content_shown_to_the_claimer_only_under_their_own_grant(
    page_as, eea_reviewer, eea_manager, second_manager, item, grant
):
    grant(eea_manager, item.resource)  # Maya's grant does not cover Rita
    claim_item(item, acting_user=eea_reviewer)
    assert_no_content(every_page(page_as(eea_reviewer), item))


@pytest.mark.parametrize("role_fixture", ["owner", "editor", "outsider"])
def test_non_reviewers_never_reach_content(request, page_as, item, role_fixture):
    user = request.getfixturevalue(role_fixture)
    client = page_as(user)
    for response in (
        client.get(f"/review/items/{item.pk}/"),
        client.post(f"/review/items/{item.pk}/reveal/"),
    ):
        assert response.status_code == (404 if role_fixture == "outsider" else 403)
        assert SECRET not in response.content.decode()


def test_purged_content_is_reported_not_shown(page_as, eea_reviewer, item, grant):
    from review.models import ClassificationEvent

    ClassificationEvent.objects.filter(pk=item.event_id).update(content=None)
    grant(eea_reviewer, item.resource)
    response = page_as(eea_reviewer).post(f"/review/items/{item.pk}/reveal/", **HTMX)
    assert response.status_code == 200 and "purged" in response.content.decode()


def test_modified_abuse_monitoring_resource_has_no_reveal(page_as, eea_reviewer, acme, new_item):
    item = new_item(acme)
    acme.modified_abuse_monitoring_approved = True
    acme.save()
    client = page_as(eea_reviewer)
    page = client.get(f"/review/items/{item.pk}/").content.decode()
    assert "no content is stored" in page and "Reveal content" not in page
    assert "modified abuse monitoring" in client.get(f"/review/r/{acme.pk}/").content.decode()
    assert client.post(f"/review/items/{item.pk}/reveal/").status_code == 403
    assert SECRET not in page
