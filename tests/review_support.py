"""Review personas shared by tests/review and tests/review_pages (their conftests import these
fixtures by name: tests/ is on sys.path).

acme is in the EEA, so Rita (reviewer) and Maya (review manager) get EEA reviewer profiles; Mona
is a second EEA review manager, so Maya's own requests have an approver; Nils reviews acme from
outside the EEA; Bree is another EEA reviewer of acme.
"""

import pytest

from guardsite.models import Membership
from review.models import ReviewerProfile

PASSWORD = "correct-horse-battery"


def make_user(django_user_model, username, **extra):
    return django_user_model.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )


def make_review_member(django_user_model, username, resource, role, *, in_eea=True):
    """A user with a role on resource and a reviewer profile located in (or out of) the EEA."""
    user = make_user(django_user_model, username)
    Membership.objects.create(user=user, resource=resource, role=role)
    ReviewerProfile.objects.create(user=user, located_in_eea=in_eea)
    return user


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
    """Mona, a second review manager on acme (in the EEA), so Maya's requests have an approver."""
    return make_review_member(django_user_model, "mona", acme, Membership.Role.REVIEW_MANAGER)


@pytest.fixture
def non_eea_reviewer(django_user_model, acme):
    return make_review_member(
        django_user_model, "nils", acme, Membership.Role.REVIEWER, in_eea=False
    )


@pytest.fixture
def colleague(django_user_model, acme):
    """Bree, another EEA reviewer of acme."""
    return make_review_member(django_user_model, "bree", acme, Membership.Role.REVIEWER)
