"""The human queue: order, claims (exclusive, expiring), decisions with history, notes, bulk
actions, reopening, escalation."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from review import actions
from review.flagging import flag_events
from review.models import FlaggedItem, ItemHistory

Status = FlaggedItem.Status


@pytest.mark.django_db
def test_queue_orders_by_priority_then_severity_then_oldest(acme, eea_reviewer, new_item):
    old_low = new_item(acme, priority=5, severity=4)
    high = new_item(acme, priority=9, severity=4)
    severe = new_item(acme, priority=5, severity=7)
    new_low = new_item(acme, priority=5, severity=4)
    FlaggedItem.objects.filter(pk=old_low.pk).update(created_at=timezone.now() - timedelta(hours=2))
    order = list(actions.human_queue(eea_reviewer).values_list("pk", flat=True))
    assert order == [high.pk, severe.pk, old_low.pk, new_low.pk]


@pytest.mark.django_db
def test_claimed_item_is_not_offered_to_another_reviewer(item, eea_reviewer, colleague):
    assert actions.claim_next_item(acting_user=eea_reviewer) == item
    assert actions.claim_next_item(acting_user=colleague) is None
    with pytest.raises(ValidationError) as exc:
        actions.claim_item(item, acting_user=colleague)
    assert exc.value.code == "claim_lost"


@pytest.mark.django_db
def test_claims_expire(item, eea_reviewer, colleague):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        actions.claim_next_item(acting_user=eea_reviewer)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert actions.claim_next_item(acting_user=colleague) == item
        with pytest.raises(ValidationError):
            actions.confirm_item(item, acting_user=eea_reviewer)


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_claiming_at_once_never_hold_the_same_item(
    acme, eea_reviewer, colleague, new_item
):
    items = {new_item(acme).pk for _ in range(30)}
    barrier = threading.Barrier(2)
    held: dict[str, list] = {"rita": [], "bree": []}
    errors: list[BaseException] = []

    def work(user, name):
        try:
            barrier.wait()
            while (claimed := actions.claim_next_item(acting_user=user)) is not None:
                held[name].append(claimed.pk)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(eea_reviewer, "rita")),
        threading.Thread(target=work, args=(colleague, "bree")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert not set(held["rita"]) & set(held["bree"])
    assert set(held["rita"]) | set(held["bree"]) == items
    assert len(held["rita"]) + len(held["bree"]) == len(items)


@pytest.mark.django_db
def test_reviewer_outside_the_eea_cannot_claim_eea_items(item, non_eea_reviewer):
    assert actions.claim_next_item(acting_user=non_eea_reviewer) is None
    with pytest.raises(PermissionDenied):
        actions.claim_item(item, acting_user=non_eea_reviewer)


@pytest.mark.django_db
def test_confirm_correct_dismiss_write_history(acme, eea_reviewer, new_item):
    confirmed, corrected, dismissed = (new_item(acme) for _ in range(3))
    for target in (confirmed, corrected, dismissed):
        actions.claim_item(target, acting_user=eea_reviewer)
    actions.confirm_item(confirmed, acting_user=eea_reviewer)
    actions.correct_item(
        corrected, category="violence", severity=5, reason="wrong label", acting_user=eea_reviewer
    )
    with pytest.raises(ValidationError):
        actions.dismiss_item(dismissed, reason="", acting_user=eea_reviewer)
    actions.dismiss_item(dismissed, reason="quoted a film", acting_user=eea_reviewer)
    for target, status in (
        (confirmed, "confirmed"),
        (corrected, "corrected"),
        (dismissed, "dismissed"),
    ):
        target.refresh_from_db()
        assert target.status == status and target.decided_by == eea_reviewer
        last = ItemHistory.objects.filter(item=target).last()
        assert (last.old_status, last.new_status, last.actor) == ("pending", status, eea_reviewer)
    assert (corrected.reviewed_category, corrected.reviewed_severity) == ("violence", 5)
    with pytest.raises(ValidationError) as exc:
        actions.confirm_item(confirmed, acting_user=eea_reviewer)
    assert exc.value.code == "claim_lost"


@pytest.mark.django_db
def test_deciding_needs_your_own_claim(item, eea_reviewer, colleague):
    actions.claim_item(item, acting_user=eea_reviewer)
    with pytest.raises(ValidationError):
        actions.confirm_item(item, acting_user=colleague)


@pytest.mark.django_db
def test_stale_version_is_a_conflict(item, eea_reviewer):
    claimed = actions.claim_item(item, acting_user=eea_reviewer)
    with pytest.raises(ValidationError):
        actions.confirm_item(claimed, acting_user=eea_reviewer, version=claimed.version - 1)


@pytest.mark.django_db
def test_bulk_actions_are_for_review_managers(acme, eea_reviewer, eea_manager, new_item):
    items = [new_item(acme) for _ in range(3)]
    with pytest.raises(PermissionDenied):
        actions.bulk_decide(items, decision="confirm", acting_user=eea_reviewer)
    actions.claim_item(items[0], acting_user=eea_reviewer)
    actions.confirm_item(items[0], acting_user=eea_reviewer)
    result = actions.bulk_decide(
        items, decision="dismiss", reason="test traffic", acting_user=eea_manager
    )
    assert result["skipped"] == [str(items[0].pk)]
    assert len(result["done"]) == 2


@pytest.mark.django_db
def test_reflagging_a_reviewed_item_reopens_it(acme, eea_reviewer, new_item):
    target = new_item(acme)
    actions.claim_item(target, acting_user=eea_reviewer)
    actions.dismiss_item(target, reason="fine", acting_user=eea_reviewer)
    assert flag_events([target.event_id]) == [str(target.pk)]
    target.refresh_from_db()
    assert (target.status, target.stage, target.flag_count) == ("pending", "automated", 2)
    assert ItemHistory.objects.filter(item=target, action="reopened").exists()


@pytest.mark.django_db
def test_notes_are_kept_with_history(item, eea_reviewer):
    actions.add_note(item, text="context: roleplay", acting_user=eea_reviewer)
    assert item.notes.get().text == "context: roleplay"


@pytest.mark.django_db
def test_items_pending_past_the_age_limit_escalate_and_managers_are_emailed(
    acme, eea_manager, new_item
):
    stale = new_item(acme)
    fresh = new_item(acme)
    FlaggedItem.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert actions.escalate_stale_items() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.escalated_at is not None and fresh.escalated_at is None
    assert stale.priority > fresh.priority
    assert mail.outbox[-1].to == [eea_manager.email]
    assert actions.escalate_stale_items() == 0
