"""Blocklists and items over REST: limits, RE2 validity, bulk add/preview/delete, search, export."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from blocklists.actions import ItemInput, add_items, create_blocklist
from blocklists.models import Blocklist, BlocklistItem
from filters.actions import Attachment, FilterData, create_filter

from .helpers import api_url, assert_error, targets

pytestmark = pytest.mark.django_db


@pytest.fixture
def competitors(acme, owner):
    blocklist = create_blocklist(acme, name="competitors", acting_user=owner)
    add_items(
        blocklist,
        [ItemInput("globex"), ItemInput(r"initech\s+corp", is_regex=True, description="rival")],
        acting_user=owner,
    )
    return blocklist


def items_url(acme, blocklist, *parts):
    return api_url(acme, "blocklists", blocklist.pk, "items", *parts)


def test_editor_creates_a_blocklist(acme, editor, api_as):
    response = api_as(editor).post(
        api_url(acme, "blocklists"), {"name": "competitors", "description": "Rivals"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "competitors"
    assert response.json()["item_count"] == 0
    activity = api_as(editor).get(api_url(acme, "activity")).json()["results"]
    assert activity[0]["action"] == "blocklist.created"


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"name": "x" * 65}, "name"),
        ({"name": "no spaces please"}, "name"),
        ({"name": "ok", "description": "d" * 1025}, "description"),
        ({"name": "ok", "items": []}, "items"),
        ({"name": 7.5}, "name"),
        ({}, "name"),
    ],
)
def test_bad_blocklist_input_is_400_and_writes_nothing(acme, owner, api_as, body, target):
    response = api_as(owner).post(api_url(acme, "blocklists"), body, format="json")

    error = assert_error(response, 400, "InvalidRequestBody")
    assert target in targets(error)
    assert not Blocklist.objects.filter(resource=acme).exists()


def test_blocklist_names_are_unique_per_resource(acme, competitors, owner, api_as):
    response = api_as(owner).post(
        api_url(acme, "blocklists"), {"name": "competitors"}, format="json"
    )

    error = assert_error(response, 400)
    assert "already has a list named 'competitors'" in error["message"]


def test_a_blocklist_keeps_its_name_but_its_description_changes(acme, competitors, owner, api_as):
    url = api_url(acme, "blocklists", competitors.pk)

    renamed = api_as(owner).patch(url, {"name": "rivals"}, format="json")
    described = api_as(owner).patch(url, {"description": "Our rivals"}, format="json")

    assert "name" in targets(assert_error(renamed, 400))
    assert described.status_code == 200, described.content
    assert described.json()["name"] == "competitors"
    assert described.json()["description"] == "Our rivals"


@pytest.mark.parametrize("persona", ["reviewer", "review_manager"])
def test_reviewers_read_blocklists_but_cannot_change_them(
    request, persona, acme, competitors, api_as
):
    client = api_as(request.getfixturevalue(persona))
    item = competitors.items.first()

    assert client.get(api_url(acme, "blocklists")).status_code == 200
    assert client.get(items_url(acme, competitors)).status_code == 200
    assert client.get(api_url(acme, "blocklists", competitors.pk, "export")).status_code == 200
    assert_error(client.post(api_url(acme, "blocklists"), {"name": "x"}, format="json"), 403)
    assert_error(client.delete(api_url(acme, "blocklists", competitors.pk)), 403)
    assert_error(client.post(items_url(acme, competitors), {"text": "x"}, format="json"), 403)
    assert_error(
        client.post(
            items_url(acme, competitors, "bulk-add"), {"items": [{"text": "x"}]}, format="json"
        ),
        403,
    )
    assert_error(
        client.post(
            items_url(acme, competitors, "bulk-delete"), {"item_ids": [str(item.pk)]}, format="json"
        ),
        403,
    )
    assert_error(client.delete(items_url(acme, competitors, item.pk)), 403)
    assert competitors.items.count() == 2
    assert Blocklist.objects.filter(resource=acme).count() == 1


def test_outsider_gets_404_for_another_tenants_lists_and_items(acme, competitors, outsider, api_as):
    client = api_as(outsider)
    item = competitors.items.first()

    assert_error(client.get(api_url(acme, "blocklists")), 404)
    assert_error(client.get(api_url(acme, "blocklists", competitors.pk)), 404)
    assert_error(client.get(api_url(acme, "blocklists", competitors.pk, "export")), 404)
    assert_error(client.get(items_url(acme, competitors)), 404)
    assert_error(client.get(items_url(acme, competitors, item.pk)), 404)
    assert_error(client.post(items_url(acme, competitors), {"text": "x"}, format="json"), 404)
    assert_error(
        client.post(items_url(acme, competitors, "bulk-preview"), {"text": "x"}, format="json"),
        404,
    )
    assert_error(client.delete(api_url(acme, "blocklists", competitors.pk)), 404)
    assert competitors.items.count() == 2


def test_a_list_of_another_tenant_is_404_under_the_callers_own_resource(
    globex, competitors, outsider, api_as
):
    client = api_as(outsider)

    assert_error(client.get(api_url(globex, "blocklists", competitors.pk)), 404)
    assert_error(
        client.post(items_url(globex, competitors), {"text": "x"}, format="json"),
        404,
    )
    assert competitors.items.count() == 2


def test_put_is_not_allowed_on_items(acme, competitors, owner, api_as):
    item = competitors.items.first()

    response = api_as(owner).put(
        items_url(acme, competitors, item.pk), {"text": "x"}, format="json"
    )

    assert_error(response, 405)


def test_add_an_item_and_change_it(acme, competitors, editor, api_as):
    client = api_as(editor)

    created = client.post(
        items_url(acme, competitors), {"text": "umbrella", "description": "corp"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["is_regex"] is False
    item_id = created.json()["id"]
    changed = client.patch(
        items_url(acme, competitors, item_id), {"description": "Umbrella Corp."}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["text"] == "umbrella"
    assert changed.json()["description"] == "Umbrella Corp."
    actions = [entry["action"] for entry in client.get(api_url(acme, "activity")).json()["results"]]
    assert actions[:2] == ["blocklist.items_added", "blocklist.items_added"]


def test_item_text_is_at_most_128_code_points(acme, competitors, owner, api_as):
    client = api_as(owner)

    too_long = client.post(items_url(acme, competitors), {"text": "a" * 129}, format="json")
    # 128 emoji are 512 bytes in UTF-8 but 128 code points: allowed.
    emoji = client.post(items_url(acme, competitors), {"text": "😀" * 128}, format="json")

    error = assert_error(too_long, 400)
    assert "129 characters; at most 128" in error["message"]
    assert emoji.status_code == 201, emoji.content
    assert competitors.items.count() == 3


def test_invalid_regex_is_refused_with_its_reason(acme, competitors, owner, api_as):
    response = api_as(owner).post(
        items_url(acme, competitors), {"text": "(unclosed", "is_regex": True}, format="json"
    )

    error = assert_error(response, 400)
    assert "items[0]" in targets(error)
    assert "(unclosed" not in [item.text for item in competitors.items.all()]


def test_bulk_add_is_all_or_nothing_and_names_the_bad_item(acme, competitors, owner, api_as):
    url = items_url(acme, competitors, "bulk-add")
    items = [
        {"text": "hooli"},
        {"text": "pied piper", "description": "compression"},
        {"text": "a(b", "is_regex": True},
    ]

    refused = api_as(owner).post(url, {"items": items}, format="json")
    error = assert_error(refused, 400)
    assert targets(error) == {"items[2]"}
    assert competitors.items.count() == 2

    wrong_type = api_as(owner).post(
        url, {"items": [{"text": "ok"}, {"text": "x", "is_regex": "maybe"}]}, format="json"
    )
    assert targets(assert_error(wrong_type, 400)) == {"items[1].is_regex"}

    items.pop()
    added = api_as(owner).post(url, {"items": items}, format="json")
    assert added.status_code == 200, added.content
    assert added.json()["count"] == 2
    assert competitors.items.count() == 4


def test_bulk_preview_shows_every_line_with_its_reason_and_saves_nothing(
    acme, competitors, owner, api_as
):
    text = 'text,isRegex,description\nhooli,false,big\n"a(b",true,broken\n"x{2,3}",true,\n'

    response = api_as(owner).post(
        items_url(acme, competitors, "bulk-preview"), {"text": text}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["valid"], body["invalid"]) == (2, 1)
    lines = {line["text"]: line for line in body["lines"]}
    assert lines["hooli"]["error"] == ""
    assert lines["hooli"]["description"] == "big"
    assert lines["a(b"]["is_regex"] is True
    assert lines["a(b"]["line"] == 3
    assert lines["a(b"]["error"]
    assert competitors.items.count() == 2
    assert not BlocklistItem.objects.filter(text="hooli").exists()


def test_bulk_preview_of_an_uploaded_file_one_item_per_line(acme, competitors, owner, api_as):
    upload = SimpleUploadedFile("terms.txt", b"hooli\n\n" + ("z" * 129).encode())

    response = api_as(owner).post(
        items_url(acme, competitors, "bulk-preview"), {"file": upload}, format="multipart"
    )

    assert response.status_code == 200, response.content
    lines = response.json()["lines"]
    assert [(line["line"], line["error"] == "") for line in lines] == [(1, True), (3, False)]
    assert "129 characters" in lines[1]["error"]
    assert competitors.items.count() == 2


def test_bulk_preview_needs_text_or_a_file(acme, competitors, owner, api_as):
    url = items_url(acme, competitors, "bulk-preview")

    assert_error(api_as(owner).post(url, {}, format="json"), 400)
    upload = SimpleUploadedFile("terms.txt", b"\xff\xfe\x00bad")
    error = assert_error(api_as(owner).post(url, {"file": upload}, format="multipart"), 400)
    assert "UTF-8" in error["message"]


def test_a_resource_has_at_most_10000_items(acme, competitors, owner, api_as):
    other = create_blocklist(acme, name="bulk", acting_user=owner)
    BlocklistItem.objects.bulk_create(
        BlocklistItem(blocklist=other, text=f"term-{index}") for index in range(9_997)
    )
    client = api_as(owner)

    # 2 + 9,997 = 9,999: one more fits, two do not.
    refused = client.post(
        items_url(acme, competitors, "bulk-add"),
        {"items": [{"text": "one"}, {"text": "two"}]},
        format="json",
    )
    error = assert_error(refused, 400)
    assert "10,001" in error["message"]
    assert "at most 10,000" in error["message"]
    assert competitors.items.count() == 2

    assert (
        client.post(items_url(acme, competitors), {"text": "one"}, format="json").status_code == 201
    )
    full = client.post(items_url(acme, competitors), {"text": "two"}, format="json")
    assert "at most 10,000" in assert_error(full, 400)["message"]
    assert BlocklistItem.objects.filter(blocklist__resource=acme).count() == 10_000


def test_bulk_delete_removes_items_all_or_nothing(acme, competitors, owner, api_as):
    ids = [str(item.pk) for item in competitors.items.all()]
    url = items_url(acme, competitors, "bulk-delete")

    refused = api_as(owner).post(url, {"item_ids": [ids[0], str(uuid.uuid4())]}, format="json")
    error = assert_error(refused, 400)
    assert targets(error) == {"item_ids"}
    assert competitors.items.count() == 2

    removed = api_as(owner).post(url, {"item_ids": ids}, format="json")
    assert removed.json() == {"removed": 2}
    assert competitors.items.count() == 0


def test_items_of_another_list_cannot_be_deleted_through_this_one(acme, competitors, owner, api_as):
    other = create_blocklist(acme, name="other", acting_user=owner)
    [foreign] = add_items(other, [ItemInput("keep-me")], acting_user=owner)

    single = api_as(owner).delete(items_url(acme, competitors, foreign.pk))
    bulk = api_as(owner).post(
        items_url(acme, competitors, "bulk-delete"), {"item_ids": [str(foreign.pk)]}, format="json"
    )

    assert_error(single, 404)
    assert_error(bulk, 400)
    assert BlocklistItem.objects.filter(pk=foreign.pk).exists()


def test_search_and_filter_items(acme, competitors, reviewer, api_as):
    client = api_as(reviewer)

    searched = client.get(items_url(acme, competitors), {"search": "rival"}).json()["results"]
    regexes = client.get(items_url(acme, competitors), {"is_regex": "true"}).json()["results"]
    plain = client.get(items_url(acme, competitors), {"search": "glob"}).json()["results"]

    assert [item["text"] for item in searched] == [r"initech\s+corp"]
    assert [item["text"] for item in regexes] == [r"initech\s+corp"]
    assert [item["text"] for item in plain] == ["globex"]


def test_export_is_csv_that_bulk_preview_reads_back(acme, competitors, owner, api_as):
    client = api_as(owner)

    response = client.get(api_url(acme, "blocklists", competitors.pk, "export"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="competitors.csv"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.splitlines() == [
        "text,isRegex,description",
        "globex,false,",
        r"initech\s+corp,true,rival",
    ]
    preview = client.post(
        items_url(acme, competitors, "bulk-preview"), {"text": text}, format="json"
    ).json()
    assert [(line["text"], line["is_regex"]) for line in preview["lines"]] == [
        ("globex", False),
        (r"initech\s+corp", True),
    ]


def test_builtin_profanity_list_is_listed_and_read_only(acme, owner, profanity, api_as):
    client = api_as(owner)

    listed = client.get(api_url(acme, "blocklists"), {"is_builtin": "true"}).json()["results"]
    assert [item["name"] for item in listed] == ["Profanity"]
    added = client.post(items_url(acme, profanity), {"text": "darn"}, format="json")
    assert "read-only" in assert_error(added, 403)["message"]
    assert_error(client.patch(api_url(acme, "blocklists", profanity.pk), {"description": "x"}), 403)
    assert_error(client.delete(api_url(acme, "blocklists", profanity.pk)), 403)
    assert Blocklist.objects.filter(pk=profanity.pk).exists()


def test_a_list_used_by_a_filter_cannot_be_deleted(acme, competitors, owner, api_as):
    create_filter(
        acme,
        FilterData(name="support-bot", attachments=[Attachment(competitors, "prompt")]),
        acting_user=owner,
    )

    response = api_as(owner).delete(api_url(acme, "blocklists", competitors.pk))

    error = assert_error(response, 409)
    assert "support-bot" in error["message"]
    assert Blocklist.objects.filter(pk=competitors.pk).exists()
