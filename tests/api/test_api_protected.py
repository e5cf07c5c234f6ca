"""The protected-material registry over REST: a resource's works and the global ones."""

import pytest
from protected_material import CODE, LYRIC, RECIPE

from filters.models import ProtectedWork
from filters.protected import WorkInput, add_protected_work
from guardsite.models import ActivityEntry

from .helpers import api_url, assert_error, targets

pytestmark = pytest.mark.django_db

GLOBAL = "/api/v1/protected-works/"


def works_url(resource, *parts):
    return api_url(resource, "protected-works", *parts)


@pytest.fixture
def global_work(db):
    return add_protected_work(None, WorkInput("Bread pudding", RECIPE), acting_user=None)


# --- A resource's works -----------------------------------------------------------------------


def test_editor_registers_a_work_and_gets_it_back_with_its_content(acme, editor, api_as):
    body = {
        "title": "Harbour song",
        "content": LYRIC,
        "source_url": "https://example.com/harbour",
        "license": "CC-BY-4.0",
    }
    response = api_as(editor).post(works_url(acme), body, format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "text" and created["content"] == LYRIC
    assert created["content_length"] == len(LYRIC) and created["created_by"] == "edgar"
    work = ProtectedWork.objects.get(pk=created["id"])
    assert (work.resource, work.license) == (acme, "CC-BY-4.0")
    assert ActivityEntry.objects.filter(action="protected_work.added", resource=acme).exists()


def test_the_list_shows_metadata_and_length_but_not_the_content(
    acme, reviewer, api_as, harbour, solver
):
    response = api_as(reviewer).get(works_url(acme))

    assert response.status_code == 200
    rows = {row["title"]: row for row in response.json()["results"]}
    assert set(rows) == {"Harbour song", "solver.py"}
    assert "content" not in rows["Harbour song"]
    assert rows["Harbour song"]["content_length"] == len(LYRIC)
    assert rows["solver.py"]["kind"] == "code"


def test_the_list_searches_titles_and_filters_by_kind(acme, owner, api_as, harbour, solver):
    client = api_as(owner)

    searched = client.get(works_url(acme), {"search": "harb"}).json()["results"]
    code = client.get(works_url(acme), {"kind": "code"}).json()["results"]

    assert [row["title"] for row in searched] == ["Harbour song"]
    assert [row["title"] for row in code] == ["solver.py"]


def test_the_list_is_cursor_paginated(acme, owner, api_as):
    for number in range(3):
        add_protected_work(acme, WorkInput(f"Verse {number}", LYRIC), acting_user=owner)

    first = api_as(owner).get(works_url(acme), {"page_size": 2}).json()
    second = api_as(owner).get(first["next"]).json()

    assert len(first["results"]) == 2 and len(second["results"]) == 1
    titles = {row["title"] for row in first["results"] + second["results"]}
    assert titles == {"Verse 0", "Verse 1", "Verse 2"}


def test_a_reviewer_reads_a_work_with_its_content(acme, reviewer, api_as, harbour):
    response = api_as(reviewer).get(works_url(acme, harbour.pk))

    assert response.status_code == 200
    assert response.json()["content"] == LYRIC
    assert response.json()["source_url"] == "https://example.com/harbour"


def test_a_too_short_work_is_refused_with_the_reason(acme, owner, api_as):
    response = api_as(owner).post(
        works_url(acme), {"title": "Short", "content": "just a few words"}, format="json"
    )

    error = assert_error(response, 400, "InvalidRequestBody")
    assert targets(error) == {"content"}
    assert "needs at least" in error["message"] and "words" in error["message"]
    assert not ProtectedWork.objects.exists()


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"title": "x", "content": LYRIC, "kind": "image"}, "kind"),
        ({"title": "", "content": LYRIC}, "title"),
        ({"title": "x" * 301, "content": LYRIC}, "title"),
        ({"title": "x", "content": LYRIC, "source_url": "not a url"}, "source_url"),
        ({"title": "x", "content": LYRIC, "license": "L" * 101}, "license"),
        ({"title": "x"}, "content"),
        ({"title": "x", "content": LYRIC, "resource": "globex"}, "resource"),
    ],
)
def test_bad_work_input_is_400_and_writes_nothing(acme, owner, api_as, body, target):
    response = api_as(owner).post(works_url(acme), body, format="json")

    assert target in targets(assert_error(response, 400))
    assert not ProtectedWork.objects.exists()


def test_a_title_is_registered_once_per_kind(acme, owner, api_as, harbour):
    response = api_as(owner).post(
        works_url(acme), {"title": "Harbour song", "content": LYRIC}, format="json"
    )

    error = assert_error(response, 400)
    assert targets(error) == {"title"}
    assert ProtectedWork.objects.count() == 1


def test_an_editor_deletes_a_work(acme, editor, api_as, harbour):
    response = api_as(editor).delete(works_url(acme, harbour.pk))

    assert response.status_code == 204
    assert not ProtectedWork.objects.exists()
    assert ActivityEntry.objects.filter(action="protected_work.deleted").exists()


def test_reviewers_read_but_cannot_change_works(acme, reviewer, api_as, harbour):
    client = api_as(reviewer)

    created = client.post(works_url(acme), {"title": "x", "content": LYRIC}, format="json")
    bulk = client.post(works_url(acme, "bulk"), {"works": []}, format="json")
    deleted = client.delete(works_url(acme, harbour.pk))

    assert_error(created, 403, "Forbidden")
    assert_error(bulk, 403, "Forbidden")
    assert_error(deleted, 403, "Forbidden")
    assert list(ProtectedWork.objects.values_list("title", flat=True)) == ["Harbour song"]


def test_outsiders_get_404_for_everything_of_another_resource(acme, outsider, api_as, harbour):
    client = api_as(outsider)

    assert_error(client.get(works_url(acme)), 404, "ResourceNotFound")
    assert_error(client.get(works_url(acme, harbour.pk)), 404)
    assert_error(client.delete(works_url(acme, harbour.pk)), 404)
    assert_error(client.post(works_url(acme), {"title": "x", "content": LYRIC}), 404)
    assert ProtectedWork.objects.count() == 1


def test_another_tenants_or_a_global_work_is_404_under_your_resource(
    acme, owner, api_as, globex_work, global_work
):
    client = api_as(owner)

    for work in (globex_work, global_work):
        assert_error(client.get(works_url(acme, work.pk)), 404)
        assert_error(client.delete(works_url(acme, work.pk)), 404)
    assert ProtectedWork.objects.count() == 2
    assert client.get(works_url(acme)).json()["results"] == []


def test_works_cannot_be_changed_in_place(acme, owner, api_as, harbour):
    response = api_as(owner).patch(works_url(acme, harbour.pk), {"title": "New"}, format="json")

    assert_error(response, 405, "MethodNotAllowed")


def test_anonymous_callers_are_refused(acme, api_as, harbour):
    assert_error(api_as(None).get(works_url(acme)), 401)
    assert_error(api_as(None).get(GLOBAL), 401)


# --- Bulk -------------------------------------------------------------------------------------


def test_bulk_adds_several_works_at_once(acme, editor, api_as):
    body = {
        "works": [
            {"title": "Harbour song", "content": LYRIC, "license": "CC"},
            {"title": "solver.py", "content": CODE, "kind": "code"},
        ]
    }
    response = api_as(editor).post(works_url(acme, "bulk"), body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["count"] == 2
    assert all("content" not in work for work in response.json()["works"])
    assert sorted(ProtectedWork.objects.values_list("title", "kind")) == [
        ("Harbour song", "text"),
        ("solver.py", "code"),
    ]


def test_bulk_is_all_or_nothing_and_names_the_bad_work(acme, owner, api_as):
    body = {
        "works": [
            {"title": "Harbour song", "content": LYRIC},
            {"title": "Short", "content": "just a few words"},
        ]
    }
    response = api_as(owner).post(works_url(acme, "bulk"), body, format="json")

    error = assert_error(response, 400)
    assert targets(error) == {"works[1]"}
    assert "words" in error["message"]
    assert not ProtectedWork.objects.exists()


def test_bulk_refuses_a_title_already_registered_or_repeated(acme, owner, api_as, harbour):
    body = {
        "works": [
            {"title": "Harbour song", "content": LYRIC},
            {"title": "Bread pudding", "content": RECIPE},
            {"title": "Bread pudding", "content": RECIPE},
        ]
    }
    response = api_as(owner).post(works_url(acme, "bulk"), body, format="json")

    error = assert_error(response, 400)
    assert targets(error) == {"works[2]"}  # repeats are caught before anything is written

    body["works"] = body["works"][:2]
    response = api_as(owner).post(works_url(acme, "bulk"), body, format="json")
    assert targets(assert_error(response, 400)) == {"works[0]"}
    assert list(ProtectedWork.objects.values_list("title", flat=True)) == ["Harbour song"]


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"works": []}, "works"),
        ({"works": "Harbour"}, "works"),
        ({"works": [{"title": "ok", "content": LYRIC}, {"title": "x"}]}, "works[1].content"),
        ({"works": [{"title": "ok", "content": LYRIC, "colour": "red"}]}, "works[0].colour"),
        ({}, "works"),
    ],
)
def test_bad_bulk_bodies_are_400_naming_the_field(acme, owner, api_as, body, target):
    response = api_as(owner).post(works_url(acme, "bulk"), body, format="json")

    assert target in targets(assert_error(response, 400))
    assert not ProtectedWork.objects.exists()


def test_bulk_takes_post_only(acme, owner, api_as):
    assert_error(api_as(owner).get(works_url(acme, "bulk")), 405)


# --- Global works -----------------------------------------------------------------------------


def test_any_signed_in_user_lists_global_titles_without_content(
    outsider, api_as, global_work, harbour
):
    response = api_as(outsider).get(GLOBAL)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["title"] == "Bread pudding" and row["content_length"] == len(RECIPE)
    assert "content" not in row
    shown = api_as(outsider).get(f"{GLOBAL}{global_work.pk}/").json()
    assert shown["title"] == "Bread pudding" and "content" not in shown


def test_a_resources_work_is_not_a_global_one(owner, staff, api_as, harbour):
    assert_error(api_as(owner).get(f"{GLOBAL}{harbour.pk}/"), 404)
    assert_error(api_as(staff).delete(f"{GLOBAL}{harbour.pk}/"), 404)
    assert ProtectedWork.objects.filter(pk=harbour.pk).exists()


def test_staff_add_and_delete_global_works(staff, api_as):
    client = api_as(staff)

    created = client.post(GLOBAL, {"title": "Bread pudding", "content": RECIPE}, format="json")
    assert created.status_code == 201, created.content
    assert "content" not in created.json()
    work = ProtectedWork.objects.get()
    assert work.resource is None

    bulk = client.post(
        f"{GLOBAL}bulk/", {"works": [{"title": "Harbour", "content": LYRIC}]}, format="json"
    )
    assert bulk.json()["count"] == 1

    assert client.delete(f"{GLOBAL}{work.pk}/").status_code == 204
    assert list(ProtectedWork.objects.values_list("title", flat=True)) == ["Harbour"]


def test_only_staff_change_global_works(owner, api_as, global_work):
    client = api_as(owner)

    created = client.post(GLOBAL, {"title": "Harbour", "content": LYRIC}, format="json")
    bulk = client.post(
        f"{GLOBAL}bulk/", {"works": [{"title": "Harbour", "content": LYRIC}]}, format="json"
    )
    deleted = client.delete(f"{GLOBAL}{global_work.pk}/")

    for response in (created, bulk, deleted):
        assert "Only staff" in assert_error(response, 403, "Forbidden")["message"]
    assert list(ProtectedWork.objects.values_list("title", flat=True)) == ["Bread pudding"]


def test_a_too_short_global_work_is_refused(staff, api_as):
    response = api_as(staff).post(GLOBAL, {"title": "Short", "content": "a b c"}, format="json")

    assert targets(assert_error(response, 400)) == {"content"}
    assert not ProtectedWork.objects.exists()
