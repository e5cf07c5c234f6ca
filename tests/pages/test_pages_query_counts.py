"""Every list page and dashboard of a resource costs the same number of queries for 2 rows as for
30: related rows come with select_related, prefetch_related or an annotation, never one query
per row. Each test renders the page at 2 rows and at 30, demands the same count, and pins a
ceiling so a new per-page query is a conscious change.
"""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from blocklists.actions import ItemInput, add_items, create_blocklist
from blocklists.models import BlocklistItem
from deployments.actions import DeploymentData, create_deployment
from filters.actions import Attachment, FilterData, create_filter
from filters.models import ProtectedWork
from guardsite.models import ActivityEntry, Membership
from review.models import FilterFeedback

_numbers = itertools.count()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def assert_flat(client, url: str, add_rows, *, ceiling: int, htmx: bool = False) -> None:
    """Same queries for 2 rows as for 30, and at most `ceiling` of them."""
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    if headers:
        client.defaults.update(headers)
    add_rows(2)
    few = queries_for(client, url)
    add_rows(28)
    many = queries_for(client, url)
    assert many == few, f"{url}: {few} queries for 2 rows but {many} for 30"
    assert many <= ceiling, f"{url}: {many} queries, more than the pinned {ceiling}"


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_numbers)}"


@pytest.fixture
def as_owner(page_as, owner):
    return page_as(owner)


def test_filter_list_queries_do_not_grow_with_filters(as_owner, acme, owner):
    def add(count):
        for _ in range(count):
            content_filter = create_filter(acme, FilterData(name=_unique("f")), acting_user=owner)
            create_deployment(
                acme,
                DeploymentData(name=_unique("d"), model_name="gpt-4o"),
                acting_user=owner,
                content_filter=content_filter,
            )

    assert_flat(as_owner, reverse("filters:list", args=[acme.pk]), add, ceiling=8)


def test_filter_detail_queries_do_not_grow_with_versions_lists_or_deployments(
    as_owner, acme, owner
):
    content_filter = create_filter(acme, FilterData(name="busy"), acting_user=owner)

    def add(count):
        from filters.actions import update_filter

        for index in range(count):
            blocklist = create_blocklist(acme, name=_unique("b"), acting_user=owner)
            attachments = [
                Attachment(attached.blocklist, attached.direction, attached.blocking)
                for attached in content_filter.attachments.select_related("blocklist")
            ] + [Attachment(blocklist, "prompt")]
            update_filter(
                content_filter,
                FilterData(name="busy", description=f"v{index}", attachments=attachments),
                acting_user=owner,
            )
            create_deployment(
                acme,
                DeploymentData(name=_unique("d"), model_name="gpt-4o"),
                acting_user=owner,
                content_filter=content_filter,
            )

    url = reverse("filters:detail", args=[acme.pk, content_filter.pk])
    assert_flat(as_owner, url, add, ceiling=11)


def test_blocklist_list_queries_do_not_grow_with_lists(as_owner, acme, owner):
    def add(count):
        for _ in range(count):
            blocklist = create_blocklist(acme, name=_unique("b"), acting_user=owner)
            add_items(blocklist, [ItemInput("x"), ItemInput("y")], acting_user=owner)

    assert_flat(as_owner, reverse("blocklists:list", args=[acme.pk]), add, ceiling=8)


def test_blocklist_detail_queries_do_not_grow_with_items_or_filters(as_owner, acme, owner):
    blocklist = create_blocklist(acme, name="words", acting_user=owner)

    def add(count):
        BlocklistItem.objects.bulk_create(
            BlocklistItem(blocklist=blocklist, text=_unique("t")) for _ in range(count)
        )
        for _ in range(count):
            create_filter(
                acme,
                FilterData(name=_unique("f"), attachments=[Attachment(blocklist, "prompt")]),
                acting_user=owner,
            )

    url = reverse("blocklists:detail", args=[acme.pk, blocklist.pk])
    assert_flat(as_owner, url, add, ceiling=11)
    assert_flat(as_owner, url, lambda count: None, ceiling=9, htmx=True)


def test_deployment_list_queries_do_not_grow_with_deployments(as_owner, acme, owner):
    def add(count):
        for _ in range(count):
            content_filter = create_filter(acme, FilterData(name=_unique("f")), acting_user=owner)
            create_deployment(
                acme,
                DeploymentData(name=_unique("d"), model_name="gpt-4o"),
                acting_user=owner,
                content_filter=content_filter,
            )

    assert_flat(as_owner, reverse("deployments:list", args=[acme.pk]), add, ceiling=8)


def test_deployment_assign_page_queries_do_not_grow_with_filters(as_owner, acme, owner):
    deployment = create_deployment(
        acme, DeploymentData(name="chat", model_name="gpt-4o"), acting_user=owner
    )

    def add(count):
        for _ in range(count):
            create_filter(acme, FilterData(name=_unique("f")), acting_user=owner)

    url = reverse("deployments:assign", args=[acme.pk, deployment.pk])
    assert_flat(as_owner, url, add, ceiling=10)


def test_wizard_steps_do_not_grow_with_lists_or_deployments(as_owner, acme, owner):
    edited = create_filter(acme, FilterData(name="edited"), acting_user=owner)

    def add(count):
        for _ in range(count):
            content_filter = create_filter(acme, FilterData(name=_unique("f")), acting_user=owner)
            create_blocklist(acme, name=_unique("b"), acting_user=owner)
            create_deployment(
                acme,
                DeploymentData(name=_unique("d"), model_name="gpt-4o"),
                acting_user=owner,
                content_filter=content_filter,
            )

    # Editing starts with every step filled in, so each step of the flow can be opened directly.
    first_step = as_owner.get(reverse("filters:edit", args=[acme.pk, edited.pk]))["Location"]
    for step in ("blocklists", "deployments", "review"):
        url = first_step.replace("/basics/", f"/{step}/")
        assert_flat(as_owner, url, add, ceiling=12)


def test_activity_queries_do_not_grow_with_entries(as_owner, acme, owner):
    def add(count):
        ActivityEntry.objects.bulk_create(
            ActivityEntry(
                resource=acme,
                actor=owner,
                action="filter.updated",
                target_type="content_filter",
                target_id=_unique("t"),
                target_repr="strict",
                before={"prompt_hate": "low"},
                after={"prompt_hate": "high"},
            )
            for _ in range(count)
        )

    assert_flat(as_owner, reverse("resources:activity", args=[acme.pk]), add, ceiling=8)


def test_overview_queries_do_not_grow_with_activity(as_owner, acme, owner):
    def add(count):
        ActivityEntry.objects.bulk_create(
            ActivityEntry(
                resource=acme,
                actor=owner,
                action="filter.created",
                target_type="content_filter",
                target_id=_unique("t"),
                target_repr="strict",
            )
            for _ in range(count)
        )

    assert_flat(as_owner, reverse("resources:overview", args=[acme.pk]), add, ceiling=10)


def test_members_queries_do_not_grow_with_members(as_owner, acme, django_user_model):
    def add(count):
        for _ in range(count):
            user = django_user_model.objects.create_user(username=_unique("member"))
            Membership.objects.create(user=user, resource=acme, role=Membership.Role.REVIEWER)

    assert_flat(as_owner, reverse("resources:members", args=[acme.pk]), add, ceiling=8)


def test_protected_material_queries_do_not_grow_with_works(as_owner, acme, owner):
    def add(count):
        ProtectedWork.objects.bulk_create(
            ProtectedWork(resource=acme, title=_unique("work"), content="words " * 50)
            for _ in range(count)
        )

    assert_flat(as_owner, reverse("filters:protected", args=[acme.pk]), add, ceiling=9)


def test_feedback_list_queries_do_not_grow_with_reports(as_owner, acme, owner):
    def add(count):
        FilterFeedback.objects.bulk_create(
            FilterFeedback(
                resource=acme,
                kind=FilterFeedback.Kind.WRONGLY_BLOCKED,
                text="a harmless sentence",
                filter_name="strict",
                filter_config={},
                reported_by=owner,
            )
            for _ in range(count)
        )

    url = reverse("playground:feedback-list", args=[acme.pk])
    assert_flat(as_owner, url, add, ceiling=10)
