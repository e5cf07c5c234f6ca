"""Human review in a real browser: a reviewer asks for access, a manager approves it (each
signed in through the login form, in their own browser context), then the reviewer claims the
next item, sees it blurred, reveals it with the "r" shortcut, corrects its severity with "x",
and the item leaves the queue."""

import re

import pytest
from playwright.sync_api import expect

from review.models import AuditLogEntry, ClassificationEvent, FlaggedItem, ReviewerProfile
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SECRET = "Zq7 flagged words that stay hidden until revealed"
SCREENSHOT = "/tmp/guardsite-review-item.png"
HELP_SCREENSHOT = "/tmp/guardsite-review-help.png"


def flagged_item(resource):
    event = ClassificationEvent.objects.create(
        resource=resource,
        direction="prompt",
        content=SECRET,
        filter_config={},
        status=ClassificationEvent.Status.CLASSIFIED,
        analysis={"categories": {"hate": {"score": 0.9, "severity": 6}}},
        decision={},
        filtered=True,
    )
    return FlaggedItem.objects.create(
        resource=resource,
        event=event,
        direction="prompt",
        category="hate",
        severity=6,
        labels={"hate": 6},
        priority=5.0,
        stage=FlaggedItem.Stage.HUMAN,
    )


@pytest.fixture
def signed_in(browser, live_server):
    """signed_in(user) -> a page in a browser context of its own, signed in via the form."""
    contexts = []

    def go(user):
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield go
    for context in contexts:
        context.close()


def test_reviewer_gets_access_reveals_and_corrects_an_item(
    live_server, signed_in, reviewer, review_manager, acme
):
    for person in (reviewer, review_manager):
        ReviewerProfile.objects.create(user=person, located_in_eea=True)
    item = flagged_item(acme)

    rita = signed_in(reviewer)
    rita.get_by_role("link", name="Review", exact=True).click()
    expect(rita.get_by_role("heading", name="Review queue")).to_be_visible()
    rita.get_by_role("link", name="My access").click()
    rita.get_by_role("link", name="Request access to acme").click()
    expect(rita.locator("#id_duration_minutes_helptext")).to_have_text(
        "At most 240 minutes for your role."
    )
    rita.get_by_label("Justification").fill("Working through the hate queue")
    rita.get_by_label("Duration (minutes)").fill("60")
    rita.get_by_role("button", name="Send request").click()
    expect(rita.locator("#pending-requests")).to_contain_text("Working through the hate queue")

    maya = signed_in(review_manager)
    maya.goto(f"{live_server.url}/review/access/approvals/")
    request_row = maya.locator("#pending-requests tbody tr", has_text="rita")
    request_row.get_by_label("Grant (minutes)").fill("30")
    request_row.get_by_role("button", name="Approve").click()
    expect(maya.locator(".messages")).to_contain_text("Approved")
    expect(maya.locator("#active-grants")).to_contain_text("rita")

    rita.goto(f"{live_server.url}/review/r/{acme.pk}/")
    expect(rita.get_by_text("Your access grant")).to_be_visible()
    rita.get_by_role("button", name=re.compile("Claim next")).click()
    expect(rita).to_have_url(re.compile(rf"/review/items/{item.pk}/$"))
    expect(rita.locator(".blurred-placeholder")).to_be_visible()
    assert SECRET not in rita.content()

    rita.keyboard.press("?")
    help_dialog = rita.locator("#shortcut-help")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Reveal the content")
    expect(help_dialog).to_contain_text("Correct: choose the severity")
    rita.screenshot(path=HELP_SCREENSHOT, full_page=False)
    rita.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    rita.keyboard.press("r")
    expect(rita.locator("#content-text")).to_contain_text(SECRET)
    assert AuditLogEntry.objects.filter(
        action="content.viewed", actor=reviewer, target_id=str(item.pk)
    ).exists()
    rita.screenshot(path=SCREENSHOT, full_page=True)

    rita.keyboard.press("x")
    severity = rita.locator("#correct-severity")
    expect(severity).to_be_focused()
    severity.select_option("3")
    rita.locator("#correct-form").get_by_role("button", name="Correct").click()

    expect(rita).to_have_url(re.compile(rf"/review/r/{acme.pk}/$"))
    expect(rita.locator(".messages")).to_contain_text("Corrected")
    expect(rita.locator("#table")).to_contain_text("The queue is empty.")
    item.refresh_from_db()
    assert (item.status, item.reviewed_severity, item.decided_by) == ("corrected", 3, reviewer)


def test_dashboard_draws_the_charts(live_server, signed_in, review_manager, acme):
    ReviewerProfile.objects.create(user=review_manager, located_in_eea=True)
    flagged_item(acme)
    maya = signed_in(review_manager)
    maya.goto(f"{live_server.url}/review/r/{acme.pk}/dashboard/?days=7")
    expect(maya.get_by_role("heading", name=re.compile("Review dashboard of acme"))).to_be_visible()
    drawn = maya.wait_for_function(
        "() => Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".filter(canvas => canvas.chart).length"
    )
    assert drawn.json_value() == 4
    maya.screenshot(path="/tmp/guardsite-review-dashboard.png", full_page=True)
