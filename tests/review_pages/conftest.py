"""Review page personas and builders.

acme (the root personas' resource) is in the EEA, so Rita (reviewer) and Maya (review manager)
get EEA reviewer profiles; Mona is a second EEA review manager, so Maya's own requests have an
approver; Nils reviews acme from outside the EEA. Every flagged item's content is SECRET, which
no page may show without an active grant.
"""

import pytest
from review_pages_helpers import PASSWORD, make_item

from guardsite.models import Membership
from review.access import approve_access_request, request_access
from review.models import AbuseCase, FlaggedItem, ReviewerProfile


def _user(django_user_model, username, **extra):
    return django_user_model.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )


@pytest.fixture
def eea_reviewer(reviewer):
    ReviewerProfile.objects.create(user=reviewer, located_in_eea=True)
    return reviewer


@pytest.fixture
def eea_manager(review_manager):
    ReviewerProfile.objects.create(user=review_manager, located_in_eea=True)
    return review_manager


@pytest.fixture
def second_manager(django_user_model, acme):
    user = _user(django_user_model, "mona")
    Membership.objects.create(user=user, resource=acme, role=Membership.Role.REVIEW_MANAGER)
    ReviewerProfile.objects.create(user=user, located_in_eea=True)
    return user


@pytest.fixture
def non_eea_reviewer(django_user_model, acme):
    user = _user(django_user_model, "nils")
    Membership.objects.create(user=user, resource=acme, role=Membership.Role.REVIEWER)
    ReviewerProfile.objects.create(user=user, located_in_eea=False)
    return user


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
    user = _user(django_user_model, "bree")
    Membership.objects.create(user=user, resource=acme, role=Membership.Role.REVIEWER)
    ReviewerProfile.objects.create(user=user, located_in_eea=True)
    return user
