"""decide() against docs/filter-config.md: every configurability row at every severity."""

import copy

import pytest

from guardsite.engine.decision import (
    decide,
    default_config,
    models_needed,
    settings_needing_approval,
    validate_config,
)
from guardsite.engine.types import (
    Analysis,
    BlocklistMatch,
    CategoryResult,
    CodeCitation,
    Detection,
    ProfanityResult,
    ProtectedCodeResult,
    ProtectedTextResult,
    ProtectedWork,
)

CATEGORIES = ("hate", "sexual", "violence", "self_harm")
LEVEL_OF_SEVERITY = ["safe", "safe", "low", "low", "medium", "medium", "high", "high"]

# The configurability table, written out by hand: setting -> levels that are filtered.
FILTERED_LEVELS = {
    "low": {"low", "medium", "high"},
    "medium": {"medium", "high"},
    "high": {"high"},
    "annotate": set(),
    "off": set(),
}


def all_categories_at(severity):
    return Analysis(
        categories={c: CategoryResult(score=0.5, severity=severity) for c in CATEGORIES}
    )


def config_with(direction, **side):
    config = default_config()
    config[direction].update(side)
    return config


def config_with_categories(direction, setting):
    return config_with(direction, categories=dict.fromkeys(CATEGORIES, setting))


def blocklist_match(blocklist_id, name="list"):
    return BlocklistMatch(
        blocklist_id=blocklist_id,
        blocklist_name=name,
        item_id="item-1",
        item_text="widget",
        matched_text="Widget",
        start=0,
        end=6,
    )


@pytest.mark.parametrize("direction", ["prompt", "completion"])
@pytest.mark.parametrize("setting", ["low", "medium", "high", "annotate"])
@pytest.mark.parametrize("severity", range(8))
def test_annotated_category_settings_follow_the_configurability_table(direction, setting, severity):
    level = LEVEL_OF_SEVERITY[severity]
    should_filter = level in FILTERED_LEVELS[setting]

    decision = decide(
        all_categories_at(severity), config_with_categories(direction, setting), direction
    )

    for category in CATEGORIES:
        assert decision.results[category] == {"filtered": should_filter, "severity": level}
    assert decision.filtered is should_filter


@pytest.mark.parametrize("direction", ["prompt", "completion"])
@pytest.mark.parametrize("severity", range(8))
def test_category_off_is_neither_filtered_nor_annotated(direction, severity):
    decision = decide(
        all_categories_at(severity), config_with_categories(direction, "off"), direction
    )

    for category in CATEGORIES:
        assert category not in decision.results
    assert decision.filtered is False


@pytest.mark.parametrize("direction", ["prompt", "completion"])
def test_only_the_category_over_its_threshold_is_filtered(direction):
    analysis = Analysis(
        categories={
            "hate": CategoryResult(0.9, 6),
            "sexual": CategoryResult(0.3, 2),
            "violence": CategoryResult(0.6, 4),
            "self_harm": CategoryResult(0.0, 0),
        }
    )
    config = config_with(
        direction,
        categories={"hate": "annotate", "sexual": "low", "violence": "high", "self_harm": "low"},
    )

    results = decide(analysis, config, direction).results

    assert results["hate"] == {"filtered": False, "severity": "high"}
    assert results["sexual"] == {"filtered": True, "severity": "low"}
    assert results["violence"] == {"filtered": False, "severity": "medium"}
    assert results["self_harm"] == {"filtered": False, "severity": "safe"}


@pytest.mark.parametrize("direction", ["prompt", "completion"])
def test_the_other_direction_setting_does_not_apply(direction):
    other = "completion" if direction == "prompt" else "prompt"
    config = config_with_categories(other, "low")

    decision = decide(all_categories_at(2), config, direction)

    assert decision.filtered is False  # this side is still at the default, medium


# --- optional models -----------------------------------------------------------------------

PROMPT_MODELS = {
    "jailbreak": lambda detected: Analysis(jailbreak=Detection(0.9 if detected else 0.1, detected)),
    "indirect_attack": lambda detected: Analysis(
        indirect_attack=(Detection(0.1, False), Detection(0.9 if detected else 0.2, detected))
    ),
    "profanity": lambda detected: Analysis(profanity=ProfanityResult(detected)),
}
COMPLETION_MODELS = {
    "protected_material_text": lambda detected: Analysis(
        protected_material_text=ProtectedTextResult(
            detected, ProtectedWork("w1", "A Song") if detected else None
        )
    ),
    "protected_material_code": lambda detected: Analysis(
        protected_material_code=ProtectedCodeResult(
            detected, CodeCitation("https://example.org/repo", "MIT") if detected else None
        )
    ),
    "profanity": lambda detected: Analysis(profanity=ProfanityResult(detected)),
}
MODEL_CASES = [("prompt", m, f) for m, f in PROMPT_MODELS.items()] + [
    ("completion", m, f) for m, f in COMPLETION_MODELS.items()
]


def quiet_config(direction, model, setting):
    """Every other optional model off, so only ``model`` can filter."""
    config = default_config()
    for side in ("prompt", "completion"):
        for key in config[side]:
            if key not in ("categories", "blocklists", "streaming_mode"):
                config[side][key] = "off"
    config[direction][model] = setting
    return config


@pytest.mark.parametrize(("direction", "model", "make_analysis"), MODEL_CASES)
@pytest.mark.parametrize("detected", [True, False])
def test_optional_model_off_is_left_out(direction, model, make_analysis, detected):
    decision = decide(make_analysis(detected), quiet_config(direction, model, "off"), direction)

    assert model not in decision.results
    assert decision.filtered is False


@pytest.mark.parametrize(("direction", "model", "make_analysis"), MODEL_CASES)
@pytest.mark.parametrize("detected", [True, False])
def test_optional_model_annotate_reports_without_filtering(
    direction, model, make_analysis, detected
):
    config = quiet_config(direction, model, "annotate")

    decision = decide(make_analysis(detected), config, direction)

    assert decision.results[model]["filtered"] is False
    assert decision.results[model]["detected"] is detected
    assert decision.filtered is False


@pytest.mark.parametrize(("direction", "model", "make_analysis"), MODEL_CASES)
@pytest.mark.parametrize("detected", [True, False])
def test_optional_model_block_filters_when_detected(direction, model, make_analysis, detected):
    config = quiet_config(direction, model, "block")

    decision = decide(make_analysis(detected), config, direction)

    assert decision.results[model]["filtered"] is detected
    assert decision.results[model]["detected"] is detected
    assert decision.filtered is detected


def test_prompt_models_are_not_reported_on_completions():
    analysis = Analysis(jailbreak=Detection(0.99, True), indirect_attack=(Detection(0.9, True),))
    config = default_config()
    config["prompt"]["indirect_attack"] = "block"

    decision = decide(analysis, config, "completion")

    assert "jailbreak" not in decision.results
    assert "indirect_attack" not in decision.results
    assert decision.filtered is False


def test_completion_models_are_not_reported_on_prompts():
    analysis = Analysis(
        protected_material_text=ProtectedTextResult(True, ProtectedWork("w", "t")),
        protected_material_code=ProtectedCodeResult(True, CodeCitation("u", "GPL-3.0")),
    )

    decision = decide(analysis, default_config(), "prompt")

    assert "protected_material_text" not in decision.results
    assert "protected_material_code" not in decision.results
    assert decision.filtered is False


def test_detected_protected_code_carries_its_citation_with_capital_url():
    analysis = COMPLETION_MODELS["protected_material_code"](True)

    result = decide(analysis, default_config(), "completion").results["protected_material_code"]

    assert result == {
        "filtered": True,
        "detected": True,
        "citation": {"URL": "https://example.org/repo", "license": "MIT"},
    }


def test_undetected_protected_code_has_no_citation():
    analysis = COMPLETION_MODELS["protected_material_code"](False)

    result = decide(analysis, default_config(), "completion").results["protected_material_code"]

    assert result == {"filtered": False, "detected": False}


def test_indirect_attack_in_any_document_is_detected():
    analysis = Analysis(
        indirect_attack=(Detection(0.1, False), Detection(0.95, True), Detection(0.2, False))
    )

    decision = decide(analysis, quiet_config("prompt", "indirect_attack", "block"), "prompt")

    assert decision.results["indirect_attack"] == {"filtered": True, "detected": True}


def test_prompt_without_documents_has_no_indirect_attack():
    analysis = Analysis(indirect_attack=())

    decision = decide(analysis, quiet_config("prompt", "indirect_attack", "block"), "prompt")

    assert decision.results["indirect_attack"] == {"filtered": False, "detected": False}


def test_a_model_that_was_not_run_is_not_reported_as_clean():
    decision = decide(Analysis(), default_config(), "prompt")

    assert "jailbreak" not in decision.results


# --- blocklists ----------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["prompt", "completion"])
def test_match_on_blocking_list_filters(direction):
    config = config_with(direction, blocklists=[{"id": "b1", "name": "rivals", "blocking": True}])

    decision = decide(Analysis(blocklist_matches=(blocklist_match("b1"),)), config, direction)

    assert decision.results["custom_blocklists"] == {
        "filtered": True,
        "details": [{"filtered": True, "id": "rivals"}],
    }
    assert decision.filtered is True


@pytest.mark.parametrize("direction", ["prompt", "completion"])
def test_match_on_annotate_only_list_is_reported_unfiltered(direction):
    config = config_with(direction, blocklists=[{"id": "b1", "name": "watch", "blocking": False}])

    decision = decide(Analysis(blocklist_matches=(blocklist_match("b1"),)), config, direction)

    assert decision.results["custom_blocklists"] == {
        "filtered": False,
        "details": [{"filtered": False, "id": "watch"}],
    }
    assert decision.filtered is False


def test_one_detail_per_matching_list_and_none_for_lists_without_matches():
    config = config_with(
        "prompt",
        blocklists=[
            {"id": "b1", "name": "rivals", "blocking": True},
            {"id": "b2", "name": "watch", "blocking": False},
            {"id": "b3", "name": "unused", "blocking": True},
        ],
    )
    analysis = Analysis(
        blocklist_matches=(blocklist_match("b2"), blocklist_match("b1"), blocklist_match("b1"))
    )

    results = decide(analysis, config, "prompt").results

    assert results["custom_blocklists"] == {
        "filtered": True,
        "details": [{"filtered": True, "id": "rivals"}, {"filtered": False, "id": "watch"}],
    }


def test_attached_lists_without_matches_annotate_nothing_filtered():
    config = config_with("prompt", blocklists=[{"id": "b1", "name": "rivals", "blocking": True}])

    decision = decide(Analysis(), config, "prompt")

    assert decision.results["custom_blocklists"] == {"filtered": False, "details": []}
    assert decision.filtered is False


def test_matches_of_lists_not_attached_to_this_side_are_ignored():
    config = config_with("completion", blocklists=[{"id": "b1", "name": "r", "blocking": True}])

    decision = decide(Analysis(blocklist_matches=(blocklist_match("b1"),)), config, "prompt")

    assert "custom_blocklists" not in decision.results
    assert decision.filtered is False


def test_attached_list_missing_optional_keys_blocks_and_is_named_by_id():
    config = config_with("prompt", blocklists=[{"id": "b1"}])

    decision = decide(Analysis(blocklist_matches=(blocklist_match("b1"),)), config, "prompt")

    assert decision.results["custom_blocklists"]["details"] == [{"filtered": True, "id": "b1"}]


# --- the default filter and partial configurations -----------------------------------------


def test_default_filter_matches_the_documented_defaults():
    config = default_config()

    assert config["name"] == "Default"
    for side in ("prompt", "completion"):
        assert config[side]["categories"] == dict.fromkeys(CATEGORIES, "medium")
        assert config[side]["profanity"] == "off"
        assert config[side]["blocklists"] == []
    assert config["prompt"]["jailbreak"] == "block"
    assert config["prompt"]["indirect_attack"] == "off"
    assert config["completion"]["protected_material_text"] == "block"
    assert config["completion"]["protected_material_code"] == "block"
    assert config["completion"]["streaming_mode"] == "default"
    assert validate_config(config) == []


def test_default_config_is_a_fresh_copy():
    default_config()["prompt"]["categories"]["hate"] = "off"

    assert default_config()["prompt"]["categories"]["hate"] == "medium"


def test_empty_configuration_behaves_like_the_default():
    analysis = Analysis(
        categories={c: CategoryResult(0.6, 4) for c in CATEGORIES},
        jailbreak=Detection(0.9, True),
    )

    assert decide(analysis, {}, "prompt") == decide(analysis, default_config(), "prompt")
    assert decide(analysis, {}, "prompt").filtered is True


def test_decide_does_not_change_the_configuration():
    config = default_config()
    before = copy.deepcopy(config)

    decide(all_categories_at(7), config, "prompt")

    assert config == before


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="direction"):
        decide(Analysis(), default_config(), "response")


def test_models_needed_lists_only_models_not_off():
    config = default_config()
    config["prompt"]["profanity"] = "annotate"

    assert models_needed(config, "prompt") == {"jailbreak", "profanity"}
    assert models_needed(config, "completion") == {
        "protected_material_text",
        "protected_material_code",
    }


def test_settings_needing_approval():
    config = default_config()
    config["prompt"]["categories"]["hate"] = "off"
    config["completion"]["categories"]["sexual"] = "annotate"
    config["completion"]["streaming_mode"] = "asynchronous"

    assert settings_needing_approval(config) == [
        "prompt.categories.hate=off",
        "completion.categories.sexual=annotate",
        "completion.streaming_mode=asynchronous",
    ]
    assert settings_needing_approval(default_config()) == []


# --- validate_config -----------------------------------------------------------------------


def test_non_object_configuration_is_invalid():
    assert validate_config(["prompt"]) != []


@pytest.mark.parametrize(
    ("mutate", "error_mentions"),
    [
        (lambda c: c["prompt"]["categories"].update(hate="severe"), "prompt.categories.hate"),
        (lambda c: c["completion"]["categories"].pop("violence"), "violence is missing"),
        (lambda c: c["prompt"]["categories"].update(gore="high"), "unknown category 'gore'"),
        (lambda c: c["prompt"].update(jailbreak=True), "prompt.jailbreak"),
        (lambda c: c["completion"].update(jailbreak="block"), "unknown key 'jailbreak'"),
        (lambda c: c["prompt"].pop("profanity"), "prompt.profanity is missing"),
        (lambda c: c["completion"].update(streaming_mode="fast"), "streaming_mode"),
        (lambda c: c.pop("completion"), "completion must be an object"),
        (lambda c: c.update(extra=1), "Unknown key 'extra'"),
        (lambda c: c["prompt"].update(blocklists={}), "blocklists must be a list"),
        (
            lambda c: c["prompt"].update(blocklists=[{"id": "x", "name": "n", "blocking": "yes"}]),
            "blocking must be true or false",
        ),
        (
            lambda c: c["prompt"].update(blocklists=[{"name": "n", "blocking": True}]),
            "id must be a non-empty string",
        ),
        (
            lambda c: c["prompt"].update(
                blocklists=[
                    {"id": "x", "name": "n", "blocking": True},
                    {"id": "x", "name": "n", "blocking": False},
                ]
            ),
            "attached twice",
        ),
    ],
)
def test_invalid_configuration_reports_what_is_wrong(mutate, error_mentions):
    config = default_config()
    mutate(config)

    errors = validate_config(config)

    assert any(error_mentions in error for error in errors), errors
