"""The per-resource activity log: who changed what, when, and the values before and after."""

import pytest

from filters.actions import filter_data_from_instance, update_filter
from guardsite.models import ActivityEntry


def url(resource) -> str:
    return f"/resources/{resource.pk}/activity/"


def test_activity_shows_who_what_and_before_and_after_newest_first(page_as, owner, editor, strict):
    data = filter_data_from_instance(strict)
    data.settings["prompt_hate"] = "high"
    update_filter(strict, data, acting_user=editor)

    response = page_as(owner).get(url(strict.resource))

    assert response.status_code == 200
    html = response.content.decode()
    assert "filter.updated" in html and "filter.created" in html
    assert html.index("filter.updated") < html.index("filter.created")
    assert "edgar" in html and "olivia" in html
    assert "prompt › categories › hate" in html
    assert "<del>low</del>" in html and "<ins>high</ins>" in html


def test_reviewers_can_read_the_activity_log(page_as, reviewer, strict):
    assert page_as(reviewer).get(url(strict.resource)).status_code == 200


def test_outsiders_get_404_for_another_tenants_activity(page_as, outsider, acme):
    assert page_as(outsider).get(url(acme)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, acme):
    response = client.get(url(acme))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_activity_log_rejects_post(page_as, owner, acme):
    assert page_as(owner).post(url(acme)).status_code == 405


def test_activity_log_is_paginated_and_htmx_gets_the_table_only(page_as, owner, acme):
    ActivityEntry.objects.bulk_create(
        ActivityEntry(
            resource=acme,
            action="test.event",
            target_type="x",
            target_id=str(n),
            target_repr=f"thing-{n}",
        )
        for n in range(30)
    )
    client = page_as(owner)
    first = client.get(url(acme)).content.decode()
    assert "Page 1 of 2" in first

    partial = client.get(url(acme) + "?page=2", headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "Page 2 of 2" in body
    assert "<html" not in body and 'id="table"' in body


def test_activity_search_narrows_the_log(page_as, owner, strict, swear_words):
    html = page_as(owner).get(url(strict.resource) + "?q=blocklist").content.decode()
    assert "blocklist.created" in html
    assert "filter.created" not in html


@pytest.mark.parametrize("page", ["abc", "999"])
def test_bad_page_numbers_show_a_real_page(page_as, owner, acme, page):
    assert page_as(owner).get(url(acme) + f"?page={page}").status_code == 200


def test_home_page_links_to_every_resource_page(page_as, owner, acme):
    html = page_as(owner).get("/").content.decode()
    for part in ("filters", "blocklists", "deployments", "activity"):
        assert f"/resources/{acme.pk}/{part}/" in html


def test_resource_overview_shows_counts(page_as, owner, strict, swear_words):
    response = page_as(owner).get(f"/resources/{strict.resource.pk}/")
    assert response.status_code == 200
    assert "1 content filter" in response.content.decode()


def test_resource_overview_is_hidden_from_outsiders(page_as, outsider, acme):
    assert page_as(outsider).get(f"/resources/{acme.pk}/").status_code == 404
