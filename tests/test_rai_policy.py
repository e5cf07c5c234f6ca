"""RAI-policy parsing refuses odd JSON values with reasons instead of crashing."""

import pytest
from django.core.exceptions import ValidationError

from filters.config import parse_rai_policy


@pytest.mark.parametrize(
    "properties",
    [
        {"mode": []},
        {"mode": {"x": 1}},
        {"contentFilters": [{"name": ["Hate"], "source": "Prompt"}]},
        {"contentFilters": [{"name": "Hate", "source": ["Prompt"]}]},
        {"contentFilters": [{"name": "Hate", "source": "Prompt", "severityThreshold": []}]},
        {"contentFilters": [{"name": "Hate", "source": "Prompt", "enabled": "yes"}]},
        {"contentFilters": "Hate"},
        {"customBlocklists": [{"blocklistName": ["x"], "source": "Prompt"}]},
        {"customBlocklists": {"blocklistName": "x"}},
        {"customBlocklists": [{"blocklistName": "x", "source": "Prompt", "blocking": "false"}]},
    ],
)
def test_odd_values_are_validation_errors(properties):
    with pytest.raises(ValidationError):
        parse_rai_policy({"name": "imported", "properties": properties})


def test_a_valid_policy_parses():
    values, attachments = parse_rai_policy(
        {
            "properties": {
                "mode": "Asynchronous_filter",
                "contentFilters": [
                    {
                        "name": "Hate",
                        "enabled": True,
                        "blocking": True,
                        "severityThreshold": "Low",
                        "source": "Prompt",
                    },
                    {"name": "Jailbreak", "enabled": True, "blocking": False, "source": "Prompt"},
                ],
                "customBlocklists": [
                    {"blocklistName": "competitors", "blocking": False, "source": "Completion"}
                ],
            }
        }
    )
    assert values["prompt_hate"] == "low"
    assert values["prompt_jailbreak"] == "annotate"
    assert values["streaming_mode"] == "asynchronous"
    assert attachments == [("competitors", "completion", False)]
