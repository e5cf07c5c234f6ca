"""Objects the page tests share, made through the same action functions the pages call."""

import pytest
from protected_material import globex_work as globex_work
from protected_material import harbour as harbour
from protected_material import solver as solver

from blocklists.actions import ItemInput, add_items, create_blocklist
from deployments.actions import DeploymentData, create_deployment
from filters.actions import FilterData, create_filter


@pytest.fixture
def strict(acme, owner):
    """A filter named 'strict' on acme, blocking from Low everywhere."""
    settings = {
        f"{direction}_{category}": "low"
        for direction in ("prompt", "completion")
        for category in ("hate", "sexual", "violence", "self_harm")
    }
    return create_filter(acme, FilterData(name="strict", settings=settings), acting_user=owner)


@pytest.fixture
def lenient(acme, owner):
    return create_filter(acme, FilterData(name="lenient"), acting_user=owner)


@pytest.fixture
def swear_words(acme, owner):
    blocklist = create_blocklist(acme, name="swear-words", acting_user=owner)
    add_items(blocklist, [ItemInput("darn"), ItemInput("heck")], acting_user=owner)
    return blocklist


@pytest.fixture
def chat(acme, owner):
    """A deployment without a filter (the default applies)."""
    return create_deployment(
        acme, DeploymentData(name="chat", model_name="gpt-4o"), acting_user=owner
    )


@pytest.fixture
def support(acme, owner, lenient):
    """A deployment that already uses the 'lenient' filter."""
    return create_deployment(
        acme,
        DeploymentData(name="support", model_name="gpt-4o-mini", upstream_api_key="sk-secret-1"),
        acting_user=owner,
        content_filter=lenient,
    )


@pytest.fixture
def globex_filter(globex, outsider):
    return create_filter(globex, FilterData(name="theirs"), acting_user=outsider)


@pytest.fixture
def globex_blocklist(globex, outsider):
    return create_blocklist(globex, name="their-list", acting_user=outsider)


@pytest.fixture
def globex_deployment(globex, outsider):
    return create_deployment(
        globex, DeploymentData(name="their-chat", model_name="gpt-4o"), acting_user=outsider
    )
