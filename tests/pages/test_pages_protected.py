"""Protected-material pages: list with search, add one work, upload files, detail, delete."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from protected_material import CODE, LYRIC, RECIPE

from filters.models import ProtectedWork
from filters.protected import WorkInput, add_protected_work


def base(resource) -> str:
    return f"/resources/{resource.pk}/filters/protected/"


def detail(work) -> str:
    return f"{base(work.resource)}{work.pk}/"


def upload(name: str, text: str | bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text if isinstance(text, bytes) else text.encode())


# --- List -----------------------------------------------------------------------------------------


def test_the_resource_nav_links_to_protected_material(page_as, reviewer, acme):
    html = page_as(reviewer).get(f"/resources/{acme.pk}/").content.decode()
    assert f'href="{base(acme)}">Protected material</a>' in html


def test_the_list_shows_works_with_length_source_and_licence(page_as, reviewer, harbour, solver):
    html = page_as(reviewer).get(base(harbour.resource)).content.decode()
    assert "Harbour song" in html and "solver.py" in html
    assert f"<td>{len(LYRIC)}</td>" in html
    assert "https://example.com/harbour" in html and ">CC<" in html
    assert LYRIC[:40] not in html  # the list never carries whole contents
    assert "Add work" not in html and "Delete" not in html


def test_the_list_counts_the_operators_global_works(page_as, owner, acme):
    add_protected_work(None, WorkInput("Bread pudding", RECIPE), acting_user=None)
    html = page_as(owner).get(base(acme)).content.decode()
    assert "1 global work registered by the operator also applies." in html
    assert "Bread pudding" not in html


def test_search_and_kind_filter_return_the_table_partial_for_htmx(page_as, owner, harbour, solver):
    client = page_as(owner)
    searched = client.get(base(harbour.resource) + "?q=harb", headers={"HX-Request": "true"})
    html = searched.content.decode()
    assert "Harbour song" in html and "solver.py" not in html and "<html" not in html
    html = client.get(base(harbour.resource) + "?kind=code").content.decode()
    assert "solver.py" in html and "Harbour song" not in html
    assert "No work matches." in client.get(base(harbour.resource) + "?q=zzz").content.decode()


def test_the_list_is_paginated(page_as, owner, acme):
    for number in range(27):
        add_protected_work(acme, WorkInput(f"Verse {number:02d}", LYRIC), acting_user=owner)
    html = page_as(owner).get(base(acme)).content.decode()
    assert "Page 1 of 2" in html and "Verse 24" in html and "Verse 25" not in html


def test_the_list_rejects_post_and_hides_from_outsiders(page_as, owner, outsider, acme):
    assert page_as(owner).post(base(acme)).status_code == 405
    assert page_as(outsider).get(base(acme)).status_code == 404


# --- Add one ----------------------------------------------------------------------------------


def test_an_editor_adds_a_work(page_as, editor, acme):
    response = page_as(editor).post(
        f"{base(acme)}add/",
        {
            "title": "Harbour song",
            "kind": "text",
            "content": LYRIC,
            "source_url": "https://example.com/harbour",
            "license": "CC-BY-4.0",
        },
    )
    assert response.status_code == 302 and response["Location"] == base(acme)
    work = ProtectedWork.objects.get(resource=acme)
    assert (work.title, work.kind, work.license) == ("Harbour song", "text", "CC-BY-4.0")
    assert work.created_by == editor
    page = page_as(editor).get(base(acme)).content.decode()
    assert "Registered “Harbour song”." in page


def test_a_too_short_work_shows_the_reason_and_writes_nothing(page_as, editor, acme):
    response = page_as(editor).post(
        f"{base(acme)}add/", {"title": "Short", "kind": "text", "content": "just a few words"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "A protected work needs at least" in html and "this has 4." in html
    assert 'value="Short"' in html  # what was typed comes back for fixing
    assert not ProtectedWork.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "kind": "text", "content": LYRIC}, "This field is required."),
        ({"title": "x", "kind": "image", "content": LYRIC}, "Select a valid choice."),
        (
            {"title": "x", "kind": "text", "content": LYRIC, "source_url": "not a url"},
            "Enter a valid URL.",
        ),
    ],
)
def test_bad_input_is_shown_and_nothing_is_written(page_as, owner, acme, data, message):
    response = page_as(owner).post(f"{base(acme)}add/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ProtectedWork.objects.exists()


def test_a_title_already_registered_is_refused(page_as, owner, harbour):
    response = page_as(owner).post(
        f"{base(harbour.resource)}add/", {"title": "Harbour song", "kind": "text", "content": LYRIC}
    )
    assert response.status_code == 400
    assert "A work of that kind and title is registered." in response.content.decode()
    assert ProtectedWork.objects.count() == 1


def test_adding_is_for_editors_by_post(page_as, owner, reviewer, outsider, acme):
    url = f"{base(acme)}add/"
    data = {"title": "x", "kind": "text", "content": LYRIC}
    assert page_as(reviewer).post(url, data).status_code == 403
    assert page_as(outsider).post(url, data).status_code == 404
    assert page_as(owner).get(url).status_code == 405
    assert not ProtectedWork.objects.exists()


# --- Upload -----------------------------------------------------------------------------------


def test_uploaded_files_become_one_work_each_with_kind_by_suffix(page_as, editor, acme):
    response = page_as(editor).post(
        f"{base(acme)}upload/",
        {
            "uploads": [upload("harbour.txt", LYRIC), upload("solver.py", CODE)],
            "source_url": "https://example.com/songs/",
            "license": "MIT",
        },
    )
    assert response.status_code == 302
    works = {work.title: work for work in ProtectedWork.objects.filter(resource=acme)}
    assert {title: work.kind for title, work in works.items()} == {
        "harbour.txt": "text",
        "solver.py": "code",
    }
    assert works["solver.py"].source_url == "https://example.com/songs/solver.py"
    assert works["harbour.txt"].license == "MIT"
    assert "Registered 2 works." in page_as(editor).get(base(acme)).content.decode()


def test_an_upload_is_all_or_nothing_naming_the_refused_file(page_as, editor, acme):
    response = page_as(editor).post(
        f"{base(acme)}upload/",
        {"uploads": [upload("harbour.txt", LYRIC), upload("short.md", "just a few words")]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "short.md: A protected work needs at least" in html
    assert not ProtectedWork.objects.exists()


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload("picture.png", b"\x89PNG"), "picture.png: only text"),
        (
            upload("latin.txt", "caf\xe9 ".encode("latin-1") * 80),
            "latin.txt: the file is not UTF-8",
        ),
    ],
)
def test_files_that_cannot_be_works_are_refused(page_as, editor, acme, file, message):
    response = page_as(editor).post(
        f"{base(acme)}upload/", {"uploads": [upload("harbour.txt", LYRIC), file]}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ProtectedWork.objects.exists()


def test_an_upload_needs_a_file_and_refuses_a_registered_title(page_as, editor, harbour):
    url = f"{base(harbour.resource)}upload/"
    empty = page_as(editor).post(url, {})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()

    add_protected_work(
        harbour.resource, WorkInput("solver.py", CODE, kind="code"), acting_user=editor
    )
    clash = page_as(editor).post(
        url, {"uploads": [upload("notes.txt", RECIPE), upload("solver.py", CODE)]}
    )
    assert clash.status_code == 400
    assert "solver.py: A work of that kind and title is registered." in clash.content.decode()
    assert ProtectedWork.objects.count() == 2


def test_uploading_is_for_editors_by_post(page_as, owner, reviewer, outsider, acme):
    url = f"{base(acme)}upload/"
    assert page_as(reviewer).post(url, {"uploads": [upload("a.txt", LYRIC)]}).status_code == 403
    assert page_as(outsider).post(url, {"uploads": [upload("a.txt", LYRIC)]}).status_code == 404
    assert page_as(owner).get(url).status_code == 405
    assert not ProtectedWork.objects.exists()


# --- Detail and delete ------------------------------------------------------------------------


def test_members_read_a_works_content(page_as, reviewer, harbour):
    html = page_as(reviewer).get(detail(harbour)).content.decode()
    assert LYRIC[:60] in html and "CC" in html and "olivia" in html
    assert "Delete" not in html


def test_the_detail_is_get_only_and_hidden_from_other_tenants(
    page_as, owner, outsider, harbour, globex_work
):
    assert page_as(owner).post(detail(harbour)).status_code == 405
    assert page_as(outsider).get(detail(harbour)).status_code == 404
    assert page_as(owner).get(f"{base(harbour.resource)}{globex_work.pk}/").status_code == 404


def test_an_editor_deletes_a_work(page_as, editor, harbour, solver):
    response = page_as(editor).post(f"{detail(harbour)}delete/")
    assert response.status_code == 302 and response["Location"] == base(harbour.resource)
    assert list(ProtectedWork.objects.values_list("title", flat=True)) == ["solver.py"]


def test_deleting_is_for_editors_by_post_within_their_resource(
    page_as, owner, reviewer, outsider, harbour, globex_work
):
    url = f"{detail(harbour)}delete/"
    assert page_as(owner).get(url).status_code == 405
    assert page_as(reviewer).post(url).status_code == 403
    assert page_as(outsider).post(url).status_code == 404
    other = f"{base(harbour.resource)}{globex_work.pk}/delete/"
    assert page_as(owner).post(other).status_code == 404
    assert ProtectedWork.objects.count() == 2
