"""Blocklist management through the official BlocklistClient against a live server."""

import httpx
import pytest
from azure.ai.contentsafety import BlocklistClient
from azure.ai.contentsafety.models import (
    AddOrUpdateTextBlocklistItemsOptions,
    AnalyzeTextOptions,
    RemoveTextBlocklistItemsOptions,
    TextBlocklist,
    TextBlocklistItem,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from blocklists.models import Blocklist, BlocklistItem
from guardsite.models import ActivityEntry


def add(client, name, *texts, **item_fields):
    options = AddOrUpdateTextBlocklistItemsOptions(
        blocklist_items=[TextBlocklistItem(text=text, **item_fields) for text in texts]
    )
    return client.add_or_update_blocklist_items(name, options).blocklist_items


def test_patch_creates_a_list_then_updates_its_description(blocklist_client, live_server, live_key):
    import requests

    url = f"{live_server.url}/contentsafety/text/blocklists/spam?api-version=2024-09-01"
    headers = {
        "Ocp-Apim-Subscription-Key": live_key,
        "Content-Type": "application/merge-patch+json",
    }

    created = requests.patch(url, json={"description": "first"}, headers=headers, timeout=10)
    updated = requests.patch(url, json={"description": "second"}, headers=headers, timeout=10)
    untouched = requests.patch(url, json={}, headers=headers, timeout=10)

    assert (created.status_code, created.json()) == (
        201,
        {"blocklistName": "spam", "description": "first"},
    )
    assert (updated.status_code, updated.json()["description"]) == (200, "second")
    assert (untouched.status_code, untouched.json()["description"]) == (200, "second")
    assert blocklist_client.get_text_blocklist("spam").description == "second"


def test_the_official_client_creates_gets_and_lists_blocklists(blocklist_client, acme):
    made = blocklist_client.create_or_update_text_blocklist(
        "spam", TextBlocklist(blocklist_name="spam", description="Spam words")
    )
    blocklist_client.create_or_update_text_blocklist("ads", TextBlocklist(blocklist_name="ads"))

    assert (made.blocklist_name, made.description) == ("spam", "Spam words")
    assert blocklist_client.get_text_blocklist("spam").description == "Spam words"
    assert [b.blocklist_name for b in blocklist_client.list_text_blocklists()] == ["ads", "spam"]
    assert ActivityEntry.objects.filter(resource=acme, action="blocklist.created").count() == 2


def test_add_items_returns_their_ids_and_get_item_reads_one(blocklist_client):
    blocklist_client.create_or_update_text_blocklist("spam", TextBlocklist(blocklist_name="spam"))

    first, second = add(blocklist_client, "spam", "zorblax", "quuxify", description="why")
    item = blocklist_client.get_text_blocklist_item("spam", second.blocklist_item_id)

    assert first.blocklist_item_id != second.blocklist_item_id
    assert (item.text, item.description) == ("quuxify", "why")


def test_adding_an_existing_text_updates_its_description(blocklist_client):
    blocklist_client.create_or_update_text_blocklist("spam", TextBlocklist(blocklist_name="spam"))
    [original] = add(blocklist_client, "spam", "zorblax", description="old")

    [updated] = add(blocklist_client, "spam", "zorblax", description="new")

    assert updated.blocklist_item_id == original.blocklist_item_id
    assert BlocklistItem.objects.get().description == "new"


def add_raw(live_server, key, name, items, api_version="2024-09-01"):
    """addOrUpdateBlocklistItems over plain HTTP: the 1.0.0 client has no isRegex field."""
    return httpx.post(
        f"{live_server.url}/contentsafety/text/blocklists/{name}:addOrUpdateBlocklistItems",
        params={"api-version": api_version},
        headers={"Ocp-Apim-Subscription-Key": key},
        json={"blocklistItems": items},
        timeout=10,
    )


def test_regex_items_are_stored_and_match(blocklist_client, cs_client, live_server, live_key):
    blocklist_client.create_or_update_text_blocklist("rx", TextBlocklist(blocklist_name="rx"))

    response = add_raw(live_server, live_key, "rx", [{"text": r"z[o0]rb\w+", "isRegex": True}])
    result = cs_client.analyze_text(AnalyzeTextOptions(text="Z0RBLAX!", blocklist_names=["rx"]))

    [item] = response.json()["blocklistItems"]
    assert response.status_code == 200 and item["isRegex"] is True
    assert [m.blocklist_item_id for m in result.blocklists_match] == [item["blocklistItemId"]]


def test_an_invalid_regex_is_refused_with_its_position_and_nothing_is_stored(
    blocklist_client, live_server, live_key
):
    blocklist_client.create_or_update_text_blocklist("rx", TextBlocklist(blocklist_name="rx"))

    response = add_raw(
        live_server, live_key, "rx", [{"text": "fine"}, {"text": "(unclosed", "isRegex": True}]
    )

    error = response.json()["error"]
    assert (response.status_code, response.headers["x-ms-error-code"]) == (
        400,
        "InvalidRequestBody",
    )
    assert error["target"] == "blocklistItems[1]"
    assert BlocklistItem.objects.count() == 0


def test_regex_items_need_a_newer_api_version(blocklist_client, live_server, live_key):
    old = BlocklistClient(
        endpoint=live_server.url, credential=AzureKeyCredential(live_key), api_version="2023-10-01"
    )
    old.create_or_update_text_blocklist("rx", TextBlocklist(blocklist_name="rx"))

    refused = add_raw(live_server, live_key, "rx", [{"text": "a+", "isRegex": True}], "2023-10-01")
    [plain] = add(old, "rx", "plain")

    assert refused.status_code == 400 and "isRegex" in refused.json()["error"]["message"]
    assert "isRegex" not in plain  # 2023-10-01 clients never see the field
    assert BlocklistItem.objects.get().is_regex is False


def test_more_than_100_items_in_one_call_are_refused(blocklist_client):
    blocklist_client.create_or_update_text_blocklist("big", TextBlocklist(blocklist_name="big"))

    with pytest.raises(HttpResponseError) as caught:
        add(blocklist_client, "big", *[f"term{n}" for n in range(101)])
    hundred = add(blocklist_client, "big", *[f"term{n}" for n in range(100)])

    assert caught.value.status_code == 400
    assert caught.value.error.message == "blocklistItems has 101 entries; at most 100 are allowed."
    assert len(hundred) == 100


def test_a_resource_holds_at_most_10000_items(blocklist_client, acme):
    blocklist_client.create_or_update_text_blocklist("big", TextBlocklist(blocklist_name="big"))
    blocklist = Blocklist.objects.get(resource=acme, name="big")
    BlocklistItem.objects.bulk_create(
        BlocklistItem(blocklist=blocklist, text=f"term{n}") for n in range(9_999)
    )

    add(blocklist_client, "big", "one more")
    with pytest.raises(HttpResponseError) as caught:
        add(blocklist_client, "big", "too many")

    assert caught.value.status_code == 400
    assert "10,000" in caught.value.error.message
    assert BlocklistItem.objects.filter(blocklist=blocklist).count() == 10_000


def test_list_items_pages_with_top_skip_and_maxpagesize(blocklist_client):
    blocklist_client.create_or_update_text_blocklist("spam", TextBlocklist(blocklist_name="spam"))
    add(blocklist_client, "spam", *[f"term{n:02}" for n in range(25)])

    everything = [
        i.text for i in blocklist_client.list_text_blocklist_items("spam", maxpagesize=10)
    ]
    window = [
        i.text
        for i in blocklist_client.list_text_blocklist_items("spam", top=7, skip=5, maxpagesize=3)
    ]
    pages = list(blocklist_client.list_text_blocklist_items("spam", maxpagesize=10).by_page())

    assert everything == [f"term{n:02}" for n in range(25)]
    assert window == [f"term{n:02}" for n in range(5, 12)]
    assert [len(list(page)) for page in pages] == [10, 10, 5]


def test_list_blocklists_follows_next_links(blocklist_client, acme):
    for n in range(3):
        blocklist_client.create_or_update_text_blocklist(
            f"l{n}", TextBlocklist(blocklist_name=f"l{n}")
        )
    # The 1.0.0 client has no page-size argument for lists; pass the query parameter as it is.
    pages = list(blocklist_client.list_text_blocklists(params={"maxpagesize": 2}).by_page())

    assert [[b.blocklist_name for b in page] for page in pages] == [["l0", "l1"], ["l2"]]


def test_remove_items_answers_204_and_removes_them(blocklist_client):
    blocklist_client.create_or_update_text_blocklist("spam", TextBlocklist(blocklist_name="spam"))
    _keep, drop = add(blocklist_client, "spam", "keep", "drop")

    result = blocklist_client.remove_blocklist_items(
        "spam", RemoveTextBlocklistItemsOptions(blocklist_item_ids=[drop.blocklist_item_id])
    )

    assert result is None
    assert [i.text for i in blocklist_client.list_text_blocklist_items("spam")] == ["keep"]
    with pytest.raises(ResourceNotFoundError):
        blocklist_client.get_text_blocklist_item("spam", drop.blocklist_item_id)


def test_removing_an_unknown_item_changes_nothing(blocklist_client):
    blocklist_client.create_or_update_text_blocklist("spam", TextBlocklist(blocklist_name="spam"))
    [keep] = add(blocklist_client, "spam", "keep")

    with pytest.raises(ResourceNotFoundError):
        blocklist_client.remove_blocklist_items(
            "spam",
            RemoveTextBlocklistItemsOptions(
                blocklist_item_ids=[keep.blocklist_item_id, "8d1f6a3e-0000-4000-8000-000000000000"]
            ),
        )

    assert BlocklistItem.objects.count() == 1


def test_delete_removes_the_list(blocklist_client, acme):
    blocklist_client.create_or_update_text_blocklist("spam", TextBlocklist(blocklist_name="spam"))

    blocklist_client.delete_text_blocklist("spam")

    assert not Blocklist.objects.filter(resource=acme).exists()
    with pytest.raises(ResourceNotFoundError):
        blocklist_client.get_text_blocklist("spam")


def test_unknown_lists_and_items_are_not_found(blocklist_client):
    blocklist_client.create_or_update_text_blocklist("spam", TextBlocklist(blocklist_name="spam"))

    for call in (
        lambda: blocklist_client.get_text_blocklist("nope"),
        lambda: blocklist_client.delete_text_blocklist("nope"),
        lambda: list(blocklist_client.list_text_blocklist_items("nope")),
        lambda: blocklist_client.get_text_blocklist_item("spam", "not-a-uuid"),
        lambda: blocklist_client.get_text_blocklist_item(
            "spam", "8d1f6a3e-0000-4000-8000-000000000000"
        ),
        lambda: add(blocklist_client, "nope", "x"),
    ):
        with pytest.raises(ResourceNotFoundError) as caught:
            call()
        assert caught.value.error.code == "ResourceNotFound"


def test_another_resources_list_is_invisible_and_untouchable(
    blocklist_client, live_server, globex_keys
):
    theirs = BlocklistClient(
        endpoint=live_server.url, credential=AzureKeyCredential(globex_keys[0])
    )
    theirs.create_or_update_text_blocklist("secret", TextBlocklist(blocklist_name="secret"))
    [item] = add(theirs, "secret", "classified")

    for call in (
        lambda: blocklist_client.get_text_blocklist("secret"),
        lambda: blocklist_client.delete_text_blocklist("secret"),
        lambda: blocklist_client.get_text_blocklist_item("secret", item.blocklist_item_id),
        lambda: add(blocklist_client, "secret", "mine now"),
        lambda: blocklist_client.remove_blocklist_items(
            "secret", RemoveTextBlocklistItemsOptions(blocklist_item_ids=[item.blocklist_item_id])
        ),
    ):
        with pytest.raises(ResourceNotFoundError):
            call()

    assert list(blocklist_client.list_text_blocklists()) == []
    assert [i.text for i in theirs.list_text_blocklist_items("secret")] == ["classified"]


def test_an_invalid_list_name_is_invalid_resource_name(blocklist_client):
    with pytest.raises(HttpResponseError) as caught:
        blocklist_client.create_or_update_text_blocklist(
            "bad name!", TextBlocklist(blocklist_name="x")
        )

    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidResourceName"
    assert not Blocklist.objects.filter(resource__isnull=False).exists()


def test_a_name_over_64_characters_is_invalid(blocklist_client):
    name = "a" * 65

    with pytest.raises(HttpResponseError) as caught:
        blocklist_client.create_or_update_text_blocklist(name, TextBlocklist(blocklist_name=name))

    assert caught.value.error.code == "InvalidResourceName"
    assert "64" in caught.value.error.message


def test_a_list_a_filter_uses_cannot_be_deleted(blocklist_client, acme, owner):
    from filters.actions import Attachment, FilterData, create_filter

    blocklist_client.create_or_update_text_blocklist("spam", TextBlocklist(blocklist_name="spam"))
    used = Blocklist.objects.get(resource=acme, name="spam")
    create_filter(
        acme,
        FilterData(name="strict", settings={}, attachments=[Attachment(used, "prompt", True)]),
        acting_user=owner,
    )

    with pytest.raises(HttpResponseError) as caught:
        blocklist_client.delete_text_blocklist("spam")

    assert caught.value.status_code == 409
    assert "strict" in caught.value.error.message
    assert Blocklist.objects.filter(pk=used.pk).exists()
