"""The configuration plane in a real browser: the filter wizard, a blocklist bulk import with an
invalid line, and assigning a filter over another one with the replace confirmation."""

import re

import pytest
from playwright.sync_api import expect

from blocklists.models import Blocklist
from deployments.actions import DeploymentData, create_deployment
from filters.actions import FilterData, create_filter
from filters.models import ContentFilter

# serialized_rollback: the live server needs committed data, and the built-in rows the
# migrations create (Default filter, Profanity list) must be back for the tests that follow.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT = "/tmp/guardsite-wizard-input-filters.png"


def test_create_a_filter_through_the_whole_wizard(live_server, sign_in, owner, acme):
    page = sign_in(owner)
    page.get_by_role("link", name="Filters").first.click()
    page.get_by_role("link", name="+ Create content filter").click()

    expect(page.get_by_role("heading", name="Basic information")).to_be_visible()
    page.get_by_label("Name").fill("browser-made")
    page.get_by_label("Description").fill("Made in Chromium")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Input filters")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/new/input/\?flow=[\w-]+$"))
    hate = page.locator("fieldset", has=page.locator("legend", has_text=re.compile("^Hate$")))
    hate.get_by_text("High", exact=True).click()
    expect(hate.get_by_role("radio", name="High")).to_be_checked()
    expect(hate.get_by_role("radio", name="No filter")).to_be_disabled()
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Output filters")).to_be_visible()
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_role("heading", name="Input filters")).to_be_visible()
    expect(hate.get_by_role("radio", name="High")).to_be_checked()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Output filters")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Blocklists")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Deployments")).to_be_visible()
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("browser-made")
    page.get_by_role("button", name="Create filter").click()

    expect(page.get_by_role("heading", name=re.compile("browser-made"))).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Created filter 'browser-made'")
    created = ContentFilter.objects.get(resource=acme, name="browser-made")
    assert created.prompt_hate == "high" and created.version == 1


def test_bulk_import_shows_the_invalid_regex_line_before_saving(live_server, sign_in, editor, acme):
    page = sign_in(editor)
    page.goto(f"{live_server.url}/resources/{acme.pk}/blocklists/")
    page.get_by_role("link", name="+ Create blocklist").click()
    page.get_by_label("Name").fill("browser-list")
    page.get_by_role("button", name="Create blocklist").click()
    expect(page.get_by_role("heading", name="browser-list")).to_be_visible()

    page.get_by_role("link", name="Bulk import").click()
    page.get_by_label("Paste items").fill(
        "text,isRegex,description\nshoot,false,mild\n(unclosed,true,broken pattern\nfudge,false,\n"
    )
    page.get_by_role("button", name="Preview").click()

    invalid = page.locator("table.preview tr.invalid")
    expect(invalid).to_have_count(1)
    expect(invalid).to_contain_text("(unclosed")
    expect(invalid.locator(".error")).not_to_be_empty()
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_be_disabled()
    blocklist = Blocklist.objects.get(resource=acme, name="browser-list")
    assert blocklist.items.count() == 0

    page.get_by_label("Paste items").fill(
        "text,isRegex,description\nshoot,false,mild\n\\(closed\\),true,\n"
    )
    page.get_by_role("button", name="Preview again").click()
    expect(page.locator("table.preview tr.invalid")).to_have_count(0)
    page.get_by_role("button", name="Save 2 items").click()

    expect(page.locator(".messages")).to_contain_text("Imported 2 items")
    assert blocklist.items.count() == 2


def test_assign_a_filter_over_another_with_the_replace_confirmation(
    live_server, sign_in, owner, acme
):
    lenient = create_filter(acme, FilterData(name="lenient"), acting_user=owner)
    create_filter(acme, FilterData(name="strict"), acting_user=owner)
    support = create_deployment(
        acme,
        DeploymentData(name="support", model_name="gpt-4o"),
        acting_user=owner,
        content_filter=lenient,
    )

    page = sign_in(owner)
    page.goto(f"{live_server.url}/resources/{acme.pk}/deployments/")
    page.locator("#deployment-support").get_by_role("link", name="Assign filter").click()
    page.get_by_label("Content filter").select_option(label="strict")
    page.get_by_role("button", name="Assign").click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("already uses filter 'lenient'")
    support.refresh_from_db()
    assert support.content_filter == lenient

    dialog.get_by_label("Replace “lenient” on support").check()
    dialog.get_by_role("button", name="Replace filter").click()

    expect(page.locator(".messages")).to_contain_text("now uses strict")
    expect(page.locator("#deployment-support .filter")).to_have_text("strict")
    support.refresh_from_db()
    assert support.content_filter.name == "strict"
