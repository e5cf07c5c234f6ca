"""Review page builders. The personas (Rita, Maya, Mona, Nils) come from tests/review_support.py.
Every flagged item's content is SECRET, which no page may show without an active grant."""

import pytest
from review_pages_helpers import make_item
from review_support import eea_manager as eea_manager
from review_support import eea_reviewer as eea_reviewer
from review_support import make_review_member
from review_support import non_eea_reviewer as non_eea_reviewer
from review_support import second_manager as second_manager

from guardsite.models import Membership
from review.access import approve_access_request, request_access
from review.models import AbuseCase, FlaggedItem


@pytest.fixture
def new_item():
    """new_item(resource, **options) -> a human-queue item whose content is SECRET."""
    return make_item


@pytest.fixture
def item(acme):
    return make_item(acme)


@pytest.fixture
def globex_item(globex):
    return make_item(globex)


@pytest.fixture
def case(acme, item):
    opened = AbuseCase.objects.create(
        resource=acme,
        score=14.2,
        threshold=10.0,
        components={
            "score": 14.2,
            "frequency": 3.6,
            "severity": 3.5,
            "intentionality": 0.0,
            "trend_multiplier": 2.0,
            "recent_count": 5,
        },
    )
    FlaggedItem.objects.filter(pk=item.pk).update(case=opened)
    item.refresh_from_db()
    return opened


@pytest.fixture
def grant(eea_manager, second_manager):
    """grant(user, resource, minutes=60, scope="queue", case=None) -> an approved grant, asked
    for by the user and approved by a review manager other than them."""

    def make(user, resource, *, minutes=60, scope="queue", case=None):
        asked = request_access(
            resource,
            scope=scope,
            case=case,
            justification="reviewing the queue",
            duration_minutes=minutes,
            acting_user=user,
        )
        approver = second_manager if user == eea_manager else eea_manager
        return approve_access_request(asked, acting_user=approver)

    return make


@pytest.fixture
def colleague_of_rita(django_user_model, acme):
    """Bree, another EEA reviewer of acme."""
    return make_review_member(django_user_model, "bree", acme, Membership.Role.REVIEWER)
