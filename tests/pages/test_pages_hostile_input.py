"""Hostile input on the resource pages answers with a clear message (or is ignored), never a 500,
and writes nothing."""

import pytest
from django.urls import reverse

from filters.models import ContentFilter

LIST_PAGES = [
    "filters:list",
    "blocklists:list",
    "deployments:list",
    "filters:protected",
    "resources:activity",
]


@pytest.mark.parametrize("name", LIST_PAGES)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_search_with_a_nul_character_finds_what_the_rest_of_the_term_finds(
    page_as, owner, acme, strict, name, htmx
):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = page_as(owner).get(reverse(name, args=[acme.pk]), {"q": "st\x00rict"}, **headers)
    assert response.status_code == 200


def test_a_blocklist_item_search_with_a_nul_character_is_not_an_error(
    page_as, owner, acme, swear_words
):
    url = reverse("blocklists:detail", args=[acme.pk, swear_words.pk])
    response = page_as(owner).get(url, {"q": "he\x00ck"})
    assert response.status_code == 200
    assert "heck" in response.content.decode()


def test_import_of_absurdly_nested_json_is_refused_with_a_message(page_as, owner, acme):
    response = page_as(owner).post(
        reverse("filters:import", args=[acme.pk]), {"policy": "[" * 50_000 + "]" * 50_000}
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.content.decode()
    assert not ContentFilter.objects.filter(resource=acme).exists()


def test_import_of_an_oversized_policy_is_refused_with_a_message(page_as, owner, acme):
    policy = '{"name": "big", "description": "' + "x" * 300_000 + '"}'
    response = page_as(owner).post(reverse("filters:import", args=[acme.pk]), {"policy": policy})
    assert response.status_code == 400
    assert "at most 200000 characters" in response.content.decode()
    assert not ContentFilter.objects.filter(resource=acme).exists()
