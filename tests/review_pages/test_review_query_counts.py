"""The review pages cost the same number of queries for 2 rows as for 30: queue, item, my access,
approvals, audit log and its export, cases, notices and dashboards. Each test renders a page at
2 rows and at 30, demands the same count, and pins a ceiling."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from review_pages_helpers import make_item

from guardsite.models import Membership, Resource
from review.models import (
    AbuseCase,
    AccessRequest,
    Appeal,
    AuditLogEntry,
    EnforcementAction,
    ItemHistory,
    ItemNote,
    OwnerReply,
)

_numbers = itertools.count()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    b"".join(getattr(response, "streaming_content", [response.content]))
    return len(captured.captured_queries)


def assert_flat(client, url: str, add_rows, *, ceiling: int) -> None:
    add_rows(2)
    few = queries_for(client, url)
    add_rows(28)
    many = queries_for(client, url)
    assert many == few, f"{url}: {few} queries for 2 rows but {many} for 30"
    assert many <= ceiling, f"{url}: {many} queries, more than the pinned {ceiling}"


def other_resource(*members):
    """Another EEA resource the given users review (as review manager)."""
    resource = Resource.objects.create(name=f"tenant-{next(_numbers)}", in_eea=True)
    for user in members:
        Membership.objects.create(user=user, resource=resource, role=Membership.Role.REVIEW_MANAGER)
    return resource


@pytest.fixture
def requesters(django_user_model, acme):
    """requesters(n) -> n new EEA reviewers of acme."""
    from review.models import ReviewerProfile

    def make(count):
        users = []
        for _ in range(count):
            user = django_user_model.objects.create_user(username=f"r{next(_numbers)}")
            Membership.objects.create(user=user, resource=acme, role=Membership.Role.REVIEWER)
            ReviewerProfile.objects.create(user=user, located_in_eea=True)
            users.append(user)
        return users

    return make


def test_queue_queries_do_not_grow_with_items_or_resources(page_as, eea_manager, colleague_of_rita):
    def add(count):
        for _ in range(count):
            resource = other_resource(eea_manager)
            item = make_item(resource)
            item.claimed_by = colleague_of_rita
            item.claim_expires_at = timezone.now() + timedelta(minutes=10)
            item.save()

    assert_flat(page_as(eea_manager), "/review/", add, ceiling=11)


def test_resource_queue_queries_do_not_grow_with_items(
    page_as, eea_manager, acme, colleague_of_rita
):
    def add(count):
        for _ in range(count):
            item = make_item(acme)
            item.claimed_by = colleague_of_rita
            item.claim_expires_at = timezone.now() + timedelta(minutes=10)
            item.save()

    assert_flat(page_as(eea_manager), f"/review/r/{acme.pk}/", add, ceiling=15)


def test_item_page_queries_do_not_grow_with_history_or_notes(
    page_as, eea_reviewer, item, requesters
):
    def add(count):
        for author in requesters(count):
            ItemHistory.objects.create(
                item=item, actor=author, action="note", old_status="pending", new_status="pending"
            )
            ItemNote.objects.create(item=item, author=author, text="looked at it")

    assert_flat(page_as(eea_reviewer), f"/review/items/{item.pk}/", add, ceiling=16)


def test_my_access_queries_do_not_grow_with_requests(
    page_as, eea_reviewer, eea_manager, acme, case
):
    now = timezone.now()

    def add(count):
        for index in range(count):
            resource = other_resource(eea_reviewer, eea_manager)
            common = {
                "requester": eea_reviewer,
                "resource": resource,
                "scope": "queue",
                "justification": "queue work",
                "requested_minutes": 30,
                "request_expires_at": now + timedelta(hours=4),
            }
            AccessRequest.objects.create(**common)
            AccessRequest.objects.create(
                **common,
                status="approved",
                decided_by=eea_manager,
                starts_at=now,
                expires_at=now + timedelta(minutes=30),
            )
            AccessRequest.objects.create(
                **{**common, "resource": acme, "scope": "case"},
                case=case,
                status="denied",
                decided_by=eea_manager,
            )

    assert_flat(page_as(eea_reviewer), "/review/access/", add, ceiling=10)


def test_approvals_queries_do_not_grow_with_requests(page_as, eea_manager, acme, requesters):
    now = timezone.now()

    def add(count):
        for requester in requesters(count):
            common = {
                "requester": requester,
                "resource": acme,
                "scope": "queue",
                "justification": "queue work",
                "requested_minutes": 30,
                "request_expires_at": now + timedelta(hours=4),
            }
            AccessRequest.objects.create(**common)
            AccessRequest.objects.create(
                **common,
                status="approved",
                break_glass=True,
                starts_at=now,
                expires_at=now + timedelta(minutes=30),
            )

    assert_flat(page_as(eea_manager), "/review/access/approvals/", add, ceiling=7)


def test_audit_log_and_export_queries_do_not_grow_with_entries(page_as, eea_manager):
    def add(count):
        for _ in range(count):
            resource = other_resource(eea_manager)
            AuditLogEntry.objects.create(
                actor=eea_manager,
                actor_repr="maya",
                action="content.viewed",
                resource=resource,
                target_type="flagged_item",
                target_id=str(next(_numbers)),
                details={"break_glass": False},
            )

    client = page_as(eea_manager)
    assert_flat(client, "/review/audit/", add, ceiling=7)
    assert_flat(client, "/review/audit/export.csv", add, ceiling=4)


def test_case_list_queries_do_not_grow_with_cases(page_as, eea_manager):
    def add(count):
        for _ in range(count):
            resource = other_resource(eea_manager)
            case = AbuseCase.objects.create(resource=resource, score=12.0, threshold=10.0)
            make_item(resource, case=case)

    assert_flat(page_as(eea_manager), "/review/cases/", add, ceiling=6)


def test_case_detail_queries_do_not_grow_with_items_notices_or_replies(
    page_as, eea_manager, owner, acme, case, colleague_of_rita
):
    def add(count):
        for _ in range(count):
            make_item(acme, case=case).__class__.objects.filter(case=case).update(
                claimed_by=colleague_of_rita
            )
            notice = EnforcementAction.objects.create(
                resource=acme, case=case, kind="notice", status="resolved", reason="x"
            )
            OwnerReply.objects.create(action=notice, author=owner, text="fixed")
            Appeal.objects.create(action=notice, appellant=owner, text="please")

    assert_flat(page_as(eea_manager), f"/review/cases/{case.pk}/", add, ceiling=12)


def test_notice_list_queries_do_not_grow_with_notices_or_appeals(page_as, eea_manager, owner):
    def add(count):
        for _ in range(count):
            resource = other_resource(eea_manager)
            notice = EnforcementAction.objects.create(
                resource=resource, kind="suspension", status="applied", reason="x"
            )
            Appeal.objects.create(action=notice, appellant=owner, text="please")

    assert_flat(page_as(eea_manager), "/review/notices/", add, ceiling=7)


def test_notice_detail_queries_do_not_grow_with_replies(page_as, owner, acme):
    notice = EnforcementAction.objects.create(
        resource=acme, kind="notice", status="awaiting_remediation", reason="x"
    )
    Appeal.objects.create(action=notice, appellant=owner, text="please")

    def add(count):
        OwnerReply.objects.bulk_create(
            OwnerReply(action=notice, author=owner, text="fixed") for _ in range(count)
        )

    assert_flat(page_as(owner), f"/review/notices/{notice.pk}/", add, ceiling=10)


def test_dashboard_queries_do_not_grow_with_items_resources_or_cases(
    page_as, eea_manager, eea_reviewer, acme
):
    def add(count):
        for index in range(count):
            resource = other_resource(eea_manager)
            AbuseCase.objects.create(resource=resource, score=12.0, threshold=10.0)
            make_item(
                resource,
                category=("hate", "violence")[index % 2],
                severity=index % 8,
                created_at=timezone.now() - timedelta(days=index % 20),
            )
            make_item(acme, severity=index % 8)

    client = page_as(eea_manager)
    assert_flat(client, "/review/dashboard/", add, ceiling=8)
    assert_flat(client, f"/review/r/{acme.pk}/dashboard/", add, ceiling=10)
