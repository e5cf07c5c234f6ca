"""Blocklist pages: list, create, items, bulk import with a preview, export, delete."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from blocklists.models import Blocklist, BlocklistItem
from filters.actions import Attachment, FilterData, create_filter


def base(resource) -> str:
    return f"/resources/{resource.pk}/blocklists/"


def detail(blocklist) -> str:
    return f"{base(blocklist.resource)}{blocklist.pk}/"


# --- List and create ----------------------------------------------------------------------------


def test_list_shows_lists_with_item_counts(page_as, reviewer, swear_words):
    html = page_as(reviewer).get(base(swear_words.resource)).content.decode()
    assert "swear-words" in html and "<td>2</td>" in html
    assert "Create blocklist" not in html


def test_list_search_returns_the_table_partial_for_htmx(page_as, owner, swear_words):
    response = page_as(owner).get(
        base(swear_words.resource) + "?q=nothing-like-it", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "No blocklist matches" in html and "<html" not in html


def test_list_rejects_post_and_hides_from_outsiders(page_as, owner, outsider, acme):
    assert page_as(owner).post(base(acme)).status_code == 405
    assert page_as(outsider).get(base(acme)).status_code == 404


def test_create_a_blocklist(page_as, editor, acme):
    response = page_as(editor).post(
        f"{base(acme)}new/", {"name": "brands", "description": "Competitors"}
    )
    created = Blocklist.objects.get(resource=acme, name="brands")
    assert response.status_code == 302 and response["Location"] == detail(created)


@pytest.mark.parametrize(
    ("name", "message"), [("bad name", "Use only letters"), ("swear-words", "already has a list")]
)
def test_create_shows_the_name_problem_and_writes_nothing(
    page_as, editor, swear_words, name, message
):
    response = page_as(editor).post(f"{base(swear_words.resource)}new/", {"name": name})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Blocklist.objects.filter(resource=swear_words.resource).count() == 1


def test_create_is_for_editors(page_as, reviewer, outsider, acme):
    assert page_as(reviewer).post(f"{base(acme)}new/", {"name": "x"}).status_code == 403
    assert page_as(outsider).get(f"{base(acme)}new/").status_code == 404
    assert not Blocklist.objects.filter(name="x").exists()


def test_create_rejects_other_methods(page_as, owner, acme):
    assert page_as(owner).delete(f"{base(acme)}new/").status_code == 405


# --- Description --------------------------------------------------------------------------------


def test_editors_change_the_description_from_the_detail_page(page_as, editor, swear_words):
    client = page_as(editor)
    assert "Save description" in client.get(detail(swear_words)).content.decode()

    response = client.post(f"{detail(swear_words)}edit/", {"description": "Mild oaths"})

    assert response.status_code == 302 and response["Location"] == detail(swear_words)
    swear_words.refresh_from_db()
    assert swear_words.description == "Mild oaths" and swear_words.name == "swear-words"
    page = client.get(detail(swear_words)).content.decode()
    assert "Saved the description." in page and "Mild oaths" in page


def test_a_too_long_description_is_shown_and_not_saved(page_as, editor, swear_words):
    response = page_as(editor).post(f"{detail(swear_words)}edit/", {"description": "d" * 1025})

    assert response.status_code == 400
    assert "at most 1024 characters" in response.content.decode()
    swear_words.refresh_from_db()
    assert swear_words.description == ""


def test_editing_the_description_is_for_editors_by_post(
    page_as, owner, reviewer, outsider, swear_words
):
    url = f"{detail(swear_words)}edit/"
    assert "Save description" not in page_as(reviewer).get(detail(swear_words)).content.decode()
    assert page_as(reviewer).post(url, {"description": "x"}).status_code == 403
    assert page_as(outsider).post(url, {"description": "x"}).status_code == 404
    assert page_as(owner).get(url).status_code == 405
    swear_words.refresh_from_db()
    assert swear_words.description == ""


def test_another_tenants_list_cannot_be_edited_under_your_resource(
    page_as, owner, acme, globex_blocklist
):
    url = f"{base(acme)}{globex_blocklist.pk}/edit/"
    assert page_as(owner).post(url, {"description": "mine now"}).status_code == 404
    globex_blocklist.refresh_from_db()
    assert globex_blocklist.description == ""


# --- Detail and items ---------------------------------------------------------------------------


def test_detail_lists_items_with_search_and_pagination(page_as, owner, swear_words):
    from blocklists.actions import ItemInput, add_items

    add_items(swear_words, [ItemInput(f"word{n:02d}") for n in range(60)], acting_user=owner)
    client = page_as(owner)
    html = client.get(detail(swear_words)).content.decode()
    assert "Page 1 of 2" in html
    html = client.get(
        detail(swear_words) + "?q=word5", headers={"HX-Request": "true"}
    ).content.decode()
    assert "word55" in html and "word44" not in html and "<html" not in html


def test_detail_is_hidden_from_other_tenants(
    page_as, owner, outsider, swear_words, globex_blocklist
):
    assert page_as(outsider).get(detail(swear_words)).status_code == 404
    # Another tenant's list under your own resource's URL is not found either.
    assert (
        page_as(owner).get(f"{base(swear_words.resource)}{globex_blocklist.pk}/").status_code == 404
    )


def test_add_an_item(page_as, editor, swear_words):
    response = page_as(editor).post(
        f"{detail(swear_words)}items/add/", {"text": r"\bdang\w*", "is_regex": "on"}
    )
    assert response.status_code == 302
    assert swear_words.items.filter(text=r"\bdang\w*", is_regex=True).exists()


def test_an_invalid_regex_item_shows_the_reason_and_writes_nothing(page_as, editor, swear_words):
    response = page_as(editor).post(
        f"{detail(swear_words)}items/add/", {"text": "(unclosed", "is_regex": "on"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "errorlist" in html and "(unclosed" in html
    assert swear_words.items.count() == 2


def test_adding_items_is_for_editors(page_as, reviewer, outsider, swear_words):
    url = f"{detail(swear_words)}items/add/"
    assert page_as(reviewer).post(url, {"text": "x"}).status_code == 403
    assert page_as(outsider).post(url, {"text": "x"}).status_code == 404
    assert page_as(reviewer).get(url).status_code == 405
    assert swear_words.items.count() == 2


def test_bulk_delete_selected_items(page_as, editor, swear_words):
    darn = swear_words.items.get(text="darn")
    response = page_as(editor).post(f"{detail(swear_words)}items/delete/", {"items": [darn.pk]})
    assert response.status_code == 302
    assert list(swear_words.items.values_list("text", flat=True)) == ["heck"]


def test_bulk_delete_with_nothing_selected_says_so(page_as, editor, swear_words):
    response = page_as(editor).post(f"{detail(swear_words)}items/delete/", {})
    assert response.status_code == 400
    assert "Select items to delete." in response.content.decode()


def test_bulk_delete_needs_post_and_an_editor(page_as, owner, reviewer, outsider, swear_words):
    url = f"{detail(swear_words)}items/delete/"
    item = swear_words.items.first()
    assert page_as(owner).get(url).status_code == 405
    assert page_as(reviewer).post(url, {"items": [item.pk]}).status_code == 403
    assert page_as(outsider).post(url, {"items": [item.pk]}).status_code == 404
    assert swear_words.items.count() == 2


# --- Bulk import --------------------------------------------------------------------------------


def test_bulk_preview_lists_every_line_with_the_invalid_regex_reason_and_saves_nothing(
    page_as, editor, swear_words
):
    text = "text,isRegex,description\nshoot,false,mild\n(unclosed,true,broken\nfudge,false,\n"
    response = page_as(editor).post(
        f"{detail(swear_words)}import/", {"text": text, "format": "auto"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview" in html and "1 invalid" in html
    assert "shoot" in html and "fudge" in html
    assert 'class="invalid"' in html and "(unclosed" in html
    assert "disabled" in html  # the save button waits for every line to be valid
    assert swear_words.items.count() == 2


def test_confirming_is_refused_while_any_line_is_invalid(page_as, editor, swear_words):
    response = page_as(editor).post(
        f"{detail(swear_words)}import/",
        {"text": "shoot,false\n[bad,true", "format": "csv", "confirm": "yes"},
    )
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert swear_words.items.count() == 2


def test_confirming_a_clean_preview_saves_every_line(page_as, editor, swear_words):
    client = page_as(editor)
    preview = client.post(
        f"{detail(swear_words)}import/", {"text": "shoot\nfudge\n", "format": "lines"}
    )
    assert "Save 2 items" in preview.content.decode()
    response = client.post(
        f"{detail(swear_words)}import/",
        {"text": "shoot\nfudge\n", "format": "lines", "confirm": "yes"},
    )
    assert response.status_code == 302
    assert set(swear_words.items.values_list("text", flat=True)) == {
        "darn",
        "heck",
        "shoot",
        "fudge",
    }


def test_bulk_import_accepts_a_file_upload(page_as, editor, swear_words):
    upload = SimpleUploadedFile("terms.csv", b"text,isRegex,description\n\\bgosh\\b,true,regex\n")
    response = page_as(editor).post(
        f"{detail(swear_words)}import/", {"upload": upload, "format": "auto"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "all valid" in html and r"\bgosh\b" in html
    assert swear_words.items.count() == 2


def test_bulk_import_needs_some_input(page_as, editor, swear_words):
    response = page_as(editor).post(
        f"{detail(swear_words)}import/", {"text": "  ", "format": "auto"}
    )
    assert response.status_code == 400
    assert "Paste at least one item" in response.content.decode()


def test_bulk_import_htmx_gets_the_importer_partial(page_as, editor, swear_words):
    response = page_as(editor).post(
        f"{detail(swear_words)}import/",
        {"text": "a\nb", "format": "lines"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'id="importer"' in html and "<html" not in html


def test_bulk_import_is_for_editors(page_as, reviewer, outsider, swear_words):
    url = f"{detail(swear_words)}import/"
    assert page_as(reviewer).get(url).status_code == 403
    assert page_as(reviewer).post(url, {"text": "x", "confirm": "yes"}).status_code == 403
    assert page_as(outsider).get(url).status_code == 404
    assert page_as(reviewer).put(url).status_code in (403, 405)
    assert swear_words.items.count() == 2


# --- Export and delete --------------------------------------------------------------------------


def test_export_csv(page_as, reviewer, swear_words):
    response = page_as(reviewer).get(f"{detail(swear_words)}export.csv")
    assert response.status_code == 200
    assert response.content.decode().splitlines() == [
        "text,isRegex,description",
        "darn,false,",
        "heck,false,",
    ]


def test_export_is_hidden_from_outsiders_and_get_only(page_as, owner, outsider, swear_words):
    assert page_as(outsider).get(f"{detail(swear_words)}export.csv").status_code == 404
    assert page_as(owner).post(f"{detail(swear_words)}export.csv").status_code == 405


def test_delete_a_list(page_as, editor, swear_words):
    response = page_as(editor).post(f"{detail(swear_words)}delete/")
    assert response.status_code == 302
    assert not Blocklist.objects.filter(pk=swear_words.pk).exists()


def test_delete_is_refused_while_a_filter_uses_the_list(page_as, owner, acme, swear_words):
    create_filter(
        acme,
        FilterData(name="uses-it", attachments=[Attachment(swear_words, "prompt")]),
        acting_user=owner,
    )
    response = page_as(owner).post(f"{detail(swear_words)}delete/")
    assert response.status_code == 400
    assert "used by the filters uses-it" in response.content.decode()
    assert BlocklistItem.objects.filter(blocklist=swear_words).count() == 2


def test_delete_needs_post_and_an_editor(page_as, owner, reviewer, outsider, swear_words):
    url = f"{detail(swear_words)}delete/"
    assert page_as(owner).get(url).status_code == 405
    assert page_as(reviewer).post(url).status_code == 403
    assert page_as(outsider).post(url).status_code == 404
    assert Blocklist.objects.filter(pk=swear_words.pk).exists()
