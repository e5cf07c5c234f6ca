"""Names are identifiers: letters, digits and . _ ~ - only, with no trailing newline sneaking in.

Filter names are trimmed of surrounding white space before the check (a pasted name keeps
working); names of blocklists, deployments and resources are identifiers in URLs and API calls
and are taken exactly as given.
"""

import pytest
from django.core.exceptions import ValidationError

from blocklists.actions import create_blocklist
from deployments.actions import DeploymentData, create_deployment
from filters.actions import FilterData, create_filter
from filters.models import ContentFilter
from guardsite.actions import create_resource

pytestmark = pytest.mark.django_db

BAD = ["abc\n", "abc\r\n", "a b", "ümlaut", "name\x00"]


@pytest.mark.parametrize("name", BAD)
def test_odd_names_are_refused_for_lists_deployments_and_resources(name, acme, owner):
    with pytest.raises(ValidationError):
        create_blocklist(acme, name=name, acting_user=owner)
    with pytest.raises(ValidationError):
        create_deployment(acme, DeploymentData(name=name, model_name="m"), acting_user=owner)
    with pytest.raises(ValidationError):
        create_resource(name=name, acting_user=owner)


@pytest.mark.parametrize("name", ["a b", "ümlaut", "name\x00", "x\ny"])
def test_odd_filter_names_are_refused(name, acme, owner):
    with pytest.raises(ValidationError):
        create_filter(acme, FilterData(name=name), acting_user=owner)


def test_a_filter_name_is_trimmed_not_refused(acme, owner):
    create_filter(acme, FilterData(name=" strict\n"), acting_user=owner)
    assert ContentFilter.objects.filter(resource=acme, name="strict").exists()


def test_a_plain_identifier_is_accepted(acme, owner):
    blocklist = create_blocklist(acme, name="Fab_rikam-2.0~x", acting_user=owner)
    assert blocklist.name == "Fab_rikam-2.0~x"
