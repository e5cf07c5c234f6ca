"""A filter can name an operator's external classifier profile; the default stays local."""

import pytest
from django.core.exceptions import ValidationError

from filters.actions import FilterData, create_filter
from guardsite import classification
from guardsite.classification import classify
from tests.fakes.content_safety import KEY
from tests.fakes.fixtures import content_safety_server  # noqa: F401 - pytest fixture


@pytest.fixture
def cs_profile(settings, content_safety_server):  # noqa: F811
    settings.GUARDSITE_CLASSIFIERS = {
        "cs": {"kind": "content_safety", "endpoint": content_safety_server.url, "key": KEY}
    }
    classification._external.cache_clear()
    yield content_safety_server
    classification._external.cache_clear()


@pytest.mark.django_db
def test_a_filter_naming_a_profile_is_classified_by_that_service(acme, owner, cs_profile):
    content_filter = create_filter(
        acme, FilterData(name="via-cs", settings={"classifier": "cs"}), acting_user=owner
    )
    analysis, decision = classify(
        "a hatemarker sentence", "prompt", content_filter.as_config(), resource_id=str(acme.pk)
    )
    assert analysis.categories["hate"].severity == 6
    assert decision.results["hate"] == {"filtered": True, "severity": "high"}
    assert any(r.path.endswith("text:analyze") for r in cs_profile.requests)


@pytest.mark.django_db
def test_the_local_model_is_used_when_the_filter_names_none(acme, owner, cs_profile):
    content_filter = create_filter(acme, FilterData(name="plain"), acting_user=owner)
    analysis, _ = classify("a hatemarker sentence", "prompt", content_filter.as_config())
    assert analysis.model_version == classification.harm_model().model_version
    assert not cs_profile.requests


@pytest.mark.django_db
def test_an_unknown_profile_name_is_refused_when_saving(acme, owner, cs_profile):
    with pytest.raises(ValidationError) as error:
        create_filter(
            acme, FilterData(name="bad", settings={"classifier": "nope"}), acting_user=owner
        )
    assert "classifier" in error.value.message_dict


def test_a_misconfigured_profile_stops_start_up():
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "GUARDSITE_CLASSIFIERS": '{"cs": {"kind": "content_safety"}}',
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "GUARDSITE_CLASSIFIERS['cs']" in result.stderr
