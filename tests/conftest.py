"""Shared personas and clients.

The personas: Olivia owns the resource "acme"; Edgar edits its filters; Rita reviews; Maya manages
review; Oscar is an outsider who owns another tenant, "globex"; Sam is a staff administrator.
"""

import os

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from guardsite.models import Membership, Resource

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def required_services(django_db_blocker):
    """When the environment names PostgreSQL and Redis, they must answer: fail, never skip."""
    if os.environ.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _user(django_user_model, username, **extra):
    return django_user_model.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )


@pytest.fixture
def acme(db) -> Resource:
    return Resource.objects.create(name="acme", region="westeurope", in_eea=True)


@pytest.fixture
def globex(db) -> Resource:
    return Resource.objects.create(name="globex", region="eastus")


@pytest.fixture
def approved_acme(acme) -> Resource:
    acme.modified_content_filters_approved = True
    acme.save()
    return acme


def _member(django_user_model, username, resource, role):
    user = _user(django_user_model, username)
    Membership.objects.create(user=user, resource=resource, role=role)
    return user


@pytest.fixture
def owner(django_user_model, acme):
    return _member(django_user_model, "olivia", acme, Membership.Role.OWNER)


@pytest.fixture
def editor(django_user_model, acme):
    return _member(django_user_model, "edgar", acme, Membership.Role.FILTER_EDITOR)


@pytest.fixture
def reviewer(django_user_model, acme):
    return _member(django_user_model, "rita", acme, Membership.Role.REVIEWER)


@pytest.fixture
def review_manager(django_user_model, acme):
    return _member(django_user_model, "maya", acme, Membership.Role.REVIEW_MANAGER)


@pytest.fixture
def outsider(django_user_model, globex):
    return _member(django_user_model, "oscar", globex, Membership.Role.OWNER)


@pytest.fixture
def staff(django_user_model):
    return _user(django_user_model, "sam", is_staff=True)


@pytest.fixture
def api_as():
    """api_as(user) -> an APIClient authenticated with that user's token."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def page_as(client):
    """page_as(user) -> Django's test client logged in as that user."""

    def make(user):
        client.force_login(user)
        return client

    return make
