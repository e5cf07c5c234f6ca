"""Fixtures for the REST API tests."""

import pytest
from protected_material import globex_work as globex_work
from protected_material import harbour as harbour
from protected_material import solver as solver

from blocklists.models import Blocklist
from filters.actions import FilterData, create_filter, default_filter


@pytest.fixture
def acme_filter(acme, owner):
    return create_filter(acme, FilterData(name="support-bot"), acting_user=owner)


@pytest.fixture
def globex_filter(globex, outsider):
    return create_filter(globex, FilterData(name="globex-bot"), acting_user=outsider)


@pytest.fixture
def builtin_filter(db):
    return default_filter()


@pytest.fixture
def profanity(db):
    return Blocklist.objects.get(resource=None, name="Profanity")
