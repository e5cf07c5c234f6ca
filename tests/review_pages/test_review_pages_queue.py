"""The human queue and the item page: claim next, decisions, notes, bulk actions."""

from datetime import timedelta

from django.utils import timezone

from review.actions import claim_item
from review.models import FlaggedItem, ItemHistory

HTMX = {"HTTP_HX_REQUEST": "true"}


def item_url(item, tail=""):
    return f"/review/items/{item.pk}/{tail}"


def test_queue_lists_pending_items_with_counts_and_marks_escalated(
    page_as, eea_reviewer, acme, new_item
):
    old = new_item(acme, created_at=timezone.now() - timedelta(hours=30))
    FlaggedItem.objects.filter(pk=old.pk).update(escalated_at=timezone.now())
    new_item(acme, severity=2)
    client = page_as(eea_reviewer)
    overall = client.get("/review/").content.decode()
    assert "acme" in overall and "escalated" in overall
    page = client.get(f"/review/r/{acme.pk}/").content.decode()
    assert page.count("data-row") == 2 and "escalated" in page
    assert "Request access" in page  # no grant yet
    fragment = client.get(f"/review/r/{acme.pk}/", **HTMX).content.decode()
    assert "<html" not in fragment and 'id="table"' in fragment


def test_claim_next_takes_priority_then_oldest(page_as, eea_reviewer, acme, new_item):
    new_item(acme, priority=1.0, created_at=timezone.now() - timedelta(hours=5))
    urgent = new_item(acme, priority=9.0)
    response = page_as(eea_reviewer).post(f"/review/r/{acme.pk}/claim-next/")
    assert response.status_code == 302 and response["Location"] == item_url(urgent)
    urgent.refresh_from_db()
    assert urgent.claimed_by == eea_reviewer


def test_claim_next_on_an_empty_queue_says_so(page_as, eea_reviewer, acme):
    client = page_as(eea_reviewer)
    response = client.post(f"/review/r/{acme.pk}/claim-next/", follow=True)
    assert "The queue is empty" in response.content.decode()
    htmx = client.post("/review/claim-next/", **HTMX)
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == "/review/"


def test_reviewer_confirms_a_claimed_item_and_it_leaves_the_queue(
    page_as, eea_reviewer, acme, item
):
    claim_item(item, acting_user=eea_reviewer)
    item.refresh_from_db()
    client = page_as(eea_reviewer)
    page = client.get(item_url(item)).content.decode()
    assert "Confirm (c)" in page and 'data-key="x"' in page
    response = client.post(item_url(item, "confirm/"), {"version": item.version, "reason": "yes"})
    assert response.status_code == 302 and response["Location"] == f"/review/r/{acme.pk}/"
    item.refresh_from_db()
    assert item.status == "confirmed" and item.decided_by == eea_reviewer
    assert str(item.pk) not in client.get(f"/review/r/{acme.pk}/").content.decode()


def test_reviewer_corrects_the_severity(page_as, eea_reviewer, item):
    claim_item(item, acting_user=eea_reviewer)
    response = page_as(eea_reviewer).post(
        item_url(item, "correct/"), {"category": "violence", "severity": "3"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.reviewed_category, item.reviewed_severity) == (
        "corrected",
        "violence",
        3,
    )


def test_dismiss_needs_a_reason(page_as, eea_reviewer, item):
    claim_item(item, acting_user=eea_reviewer)
    client = page_as(eea_reviewer)
    response = client.post(item_url(item, "dismiss/"), {"reason": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert client.post(item_url(item, "dismiss/"), {"reason": "a quote"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "dismissed" and item.decision_reason == "a quote"


def test_bad_correction_is_refused(page_as, eea_reviewer, item):
    claim_item(item, acting_user=eea_reviewer)
    client = page_as(eea_reviewer)
    for data in ({"category": "nonsense", "severity": "3"}, {"category": "hate", "severity": "9"}):
        assert client.post(item_url(item, "correct/"), data).status_code == 400
    item.refresh_from_db()
    assert item.status == "pending"


def test_deciding_without_a_claim_or_with_a_stale_page_answers_409(
    page_as, eea_reviewer, colleague_of_rita, item
):
    client = page_as(eea_reviewer)
    response = client.post(item_url(item, "confirm/"), {})
    assert response.status_code == 409 and "claim" in response.content.decode()
    claim_item(item, acting_user=eea_reviewer)
    response = client.post(item_url(item, "confirm/"), {"version": 1})  # the page before the claim
    assert response.status_code == 409
    item.refresh_from_db()
    assert item.status == "pending"


def test_another_reviewers_claim_blocks_mine(page_as, eea_reviewer, colleague_of_rita, item):
    claim_item(item, acting_user=colleague_of_rita)
    client = page_as(eea_reviewer)
    assert "bree holds this item" in client.get(item_url(item)).content.decode()
    assert client.post(item_url(item, "claim/")).status_code == 409
    assert client.post(item_url(item, "dismiss/"), {"reason": "x"}).status_code == 409


def test_claim_and_release(page_as, eea_reviewer, item):
    client = page_as(eea_reviewer)
    assert client.post(item_url(item, "claim/")).status_code == 302
    assert client.post(item_url(item, "release/")).status_code == 302
    item.refresh_from_db()
    assert item.claimed_by is None
    assert client.post(item_url(item, "release/")).status_code == 409


def test_notes_are_added_and_shown_in_the_fragment(page_as, eea_reviewer, item):
    client = page_as(eea_reviewer)
    response = client.post(item_url(item, "notes/"), {"text": "looks like a quote"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "looks like a quote" in html and "<html" not in html
    assert client.post(item_url(item, "notes/"), {"text": " "}).status_code == 400
    assert client.post(item_url(item, "notes/"), {"text": "plain"}).status_code == 302
    assert ItemHistory.objects.filter(item=item, action="noted").count() == 2
    assert "looks like a quote" in client.get(item_url(item)).content.decode()


def test_history_is_shown(page_as, eea_reviewer, item):
    claim_item(item, acting_user=eea_reviewer)
    assert "claimed" in page_as(eea_reviewer).get(item_url(item)).content.decode()


def test_item_views_need_the_right_method(page_as, eea_reviewer, acme, item):
    client = page_as(eea_reviewer)
    for tail in ("reveal/", "claim/", "release/", "confirm/", "correct/", "dismiss/", "notes/"):
        assert client.get(item_url(item, tail)).status_code == 405, tail
    assert client.post(item_url(item)).status_code == 405
    assert client.get(f"/review/r/{acme.pk}/claim-next/").status_code == 405
    assert client.get(f"/review/r/{acme.pk}/bulk/").status_code == 405
    assert client.post("/review/").status_code == 405


def test_wrong_roles_get_403_and_other_tenants_404(
    page_as, owner, editor, outsider, eea_reviewer, acme, item, globex_item
):
    for user in (owner, editor):
        client = page_as(user)
        assert client.get("/review/").status_code == 403
        assert client.get(f"/review/r/{acme.pk}/").status_code == 403
        assert client.get(item_url(item)).status_code == 403
        assert client.post(item_url(item, "claim/")).status_code == 403
    client = page_as(outsider)
    assert client.get(f"/review/r/{acme.pk}/").status_code == 404
    assert client.get(item_url(item)).status_code == 404
    rita = page_as(eea_reviewer)
    assert rita.get(item_url(globex_item)).status_code == 404
    assert rita.post(item_url(globex_item, "claim/")).status_code == 404
    assert rita.post(f"/review/r/{globex_item.resource.pk}/claim-next/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, item):
    response = client.get(item_url(item))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_managers_confirm_and_release_in_bulk(page_as, eea_manager, eea_reviewer, acme, new_item):
    first, second, third = new_item(acme), new_item(acme), new_item(acme)
    claim_item(third, acting_user=eea_reviewer)
    client = page_as(eea_manager)
    page = client.get(f"/review/r/{acme.pk}/").content.decode()
    assert "Apply to selected" in page
    response = client.post(
        f"/review/r/{acme.pk}/bulk/", {"items": [first.pk, second.pk], "decision": "confirm"}
    )
    assert response.status_code == 302
    assert set(FlaggedItem.objects.filter(status="confirmed").values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    client.post(f"/review/r/{acme.pk}/bulk/", {"items": [third.pk], "decision": "release"})
    third.refresh_from_db()
    assert third.claimed_by is None and third.status == "pending"


def test_bulk_refuses_bad_input_reviewers_and_other_tenants_items(
    page_as, eea_manager, eea_reviewer, acme, item, globex_item
):
    client = page_as(eea_manager)
    url = f"/review/r/{acme.pk}/bulk/"
    assert client.post(url, {"items": [item.pk], "decision": "dismiss"}).status_code == 400
    assert client.post(url, {"items": [globex_item.pk], "decision": "confirm"}).status_code == 400
    assert client.post(url, {"items": [item.pk], "decision": "explode"}).status_code == 400
    assert (
        page_as(eea_reviewer).post(url, {"items": [item.pk], "decision": "confirm"}).status_code
        == 403
    )
    assert (
        "Apply to selected"
        not in page_as(eea_reviewer).get(f"/review/r/{acme.pk}/").content.decode()
    )
    item.refresh_from_db()
    globex_item.refresh_from_db()
    assert item.status == globex_item.status == "pending"


def test_j_and_k_link_the_neighbouring_items(page_as, eea_reviewer, acme, new_item):
    first = new_item(acme, priority=3)
    middle = new_item(acme, priority=2)
    last = new_item(acme, priority=1)
    page = page_as(eea_reviewer).get(item_url(middle)).content.decode()
    assert f'href="{item_url(first)}" data-key="k"' in page
    assert f'href="{item_url(last)}" data-key="j"' in page
