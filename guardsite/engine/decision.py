"""What a filter configuration does with an analysis: a pure function, no I/O, no Django.

The configuration dictionary and its semantics are specified in docs/filter-config.md; the
annotation shape (snake_case ``content_filter_results``) in the compat API spec, section 2.

``decide`` is tolerant of a partial configuration: a key that is absent takes its value from the
built-in default (so an empty dict behaves like the ``Default`` filter). ``validate_config`` is the
strict check the management side runs before saving.

A model result the analysis does not carry (because the analyser was not asked for it) is left out
of the annotations rather than reported as "not detected": absence must not be mistaken for a
clean bill. The analyser is asked for exactly what a configuration needs via
``models_needed(config, direction)``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from guardsite.engine.types import CATEGORIES, Analysis, severity_level

DIRECTIONS = ("prompt", "completion")
CATEGORY_SETTINGS = ("low", "medium", "high", "annotate", "off")
MODEL_SETTINGS = ("off", "annotate", "block")
STREAMING_MODES = ("default", "asynchronous")

# Which optional models each side of a filter may configure.
OPTIONAL_MODELS = {
    "prompt": ("jailbreak", "indirect_attack", "profanity"),
    "completion": ("protected_material_text", "protected_material_code", "profanity"),
}

# The lowest bucket each threshold filters; "annotate" and "off" never filter.
_FILTERED_FROM_LEVEL = {"low": "low", "medium": "medium", "high": "high"}
_LEVEL_RANK = {"safe": 0, "low": 1, "medium": 2, "high": 3}

_DEFAULT_CONFIG: dict[str, Any] = {
    "name": "Default",
    "prompt": {
        "categories": dict.fromkeys(CATEGORIES, "medium"),
        "jailbreak": "block",
        "indirect_attack": "off",
        "profanity": "off",
        "blocklists": [],
    },
    "completion": {
        "categories": dict.fromkeys(CATEGORIES, "medium"),
        "protected_material_text": "block",
        "protected_material_code": "block",
        "profanity": "off",
        "blocklists": [],
        "streaming_mode": "default",
    },
}


def default_config() -> dict[str, Any]:
    """The built-in ``Default`` filter (a fresh copy the caller may change)."""
    return copy.deepcopy(_DEFAULT_CONFIG)


@dataclass(frozen=True)
class Decision:
    filtered: bool
    # The snake_case ``content_filter_results`` object for this prompt or choice.
    results: dict[str, Any] = field(default_factory=dict)


def decide(analysis: Analysis, config: dict[str, Any], direction: str) -> Decision:
    """Apply one side (``"prompt"`` or ``"completion"``) of a filter configuration."""
    side = _side_with_defaults(config, direction)
    results: dict[str, Any] = {}
    results.update(_category_results(analysis, side["categories"]))
    for model in OPTIONAL_MODELS[direction]:
        result = _optional_model_result(analysis, model, side[model])
        if result is not None:
            results[model] = result
    blocklists = _blocklist_result(analysis, side["blocklists"])
    if blocklists is not None:
        results["custom_blocklists"] = blocklists
    filtered = any(result["filtered"] for result in results.values())
    return Decision(filtered=filtered, results=results)


def models_needed(config: dict[str, Any], direction: str) -> frozenset[str]:
    """The optional models (names as in the config) the analyser must run for this side."""
    side = _side_with_defaults(config, direction)
    return frozenset(model for model in OPTIONAL_MODELS[direction] if side[model] != "off")


def _side_with_defaults(config: dict[str, Any], direction: str) -> dict[str, Any]:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'prompt' or 'completion', not {direction!r}")
    side = {**_DEFAULT_CONFIG[direction], **(config.get(direction) or {})}
    side["categories"] = {
        **_DEFAULT_CONFIG[direction]["categories"],
        **(side.get("categories") or {}),
    }
    return side


def _category_results(analysis: Analysis, settings: dict[str, str]) -> dict[str, Any]:
    results = {}
    for category in CATEGORIES:
        setting = settings[category]
        result = analysis.categories.get(category)
        if setting == "off" or result is None:
            continue
        level = severity_level(result.severity)
        results[category] = {
            "filtered": category_filtered(setting, level),
            "severity": level,
        }
    return results


def category_filtered(setting: str, level: str) -> bool:
    """Whether a category at ``setting`` filters content in bucket ``level`` (safe never does)."""
    threshold = _FILTERED_FROM_LEVEL.get(setting)
    if threshold is None or level == "safe":
        return False
    return _LEVEL_RANK[level] >= _LEVEL_RANK[threshold]


def _optional_model_result(analysis: Analysis, model: str, setting: str) -> dict[str, Any] | None:
    if setting == "off":
        return None
    found = _model_finding(analysis, model)
    if found is None:
        return None
    detected, citation = found
    result: dict[str, Any] = {"filtered": setting == "block" and detected, "detected": detected}
    if citation is not None:
        result["citation"] = citation
    return result


def _model_finding(analysis: Analysis, model: str) -> tuple[bool, dict[str, Any] | None] | None:
    """(detected, citation) for one optional model, or None when it was not analysed."""
    if model == "jailbreak":
        return None if analysis.jailbreak is None else (analysis.jailbreak.detected, None)
    if model == "indirect_attack":
        documents = analysis.indirect_attack
        # A prompt without documents has nothing to attack from: analysed, not detected.
        return None if documents is None else (any(d.detected for d in documents), None)
    if model == "profanity":
        return None if analysis.profanity is None else (analysis.profanity.detected, None)
    if model == "protected_material_text":
        text = analysis.protected_material_text
        return None if text is None else (text.detected, None)
    if model == "protected_material_code":
        code = analysis.protected_material_code
        if code is None:
            return None
        citation = code.citation.to_dict() if code.detected and code.citation else None
        return code.detected, citation
    raise ValueError(f"unknown optional model {model!r}")


def _blocklist_result(analysis: Analysis, attached: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not attached:
        return None
    matched_ids = {match.blocklist_id for match in analysis.blocklist_matches}
    # Tolerant like the rest of decide(): a list attached without "blocking" blocks (the safe
    # reading), one without a name is reported by its id.
    details = [
        {
            "filtered": bool(blocklist.get("blocking", True)),
            "id": blocklist.get("name") or str(blocklist["id"]),
        }
        for blocklist in attached
        if str(blocklist["id"]) in matched_ids
    ]
    return {"filtered": any(d["filtered"] for d in details), "details": details}


def settings_needing_approval(config: dict[str, Any]) -> list[str]:
    """Settings that require an approved modified-content-filter application, as readable paths.

    "No filters" (``off``), "annotate only" and asynchronous streaming need approval; the
    thresholds low, medium and high are open to everyone.
    """
    needing = []
    for direction in DIRECTIONS:
        side = _side_with_defaults(config, direction)
        for category, setting in side["categories"].items():
            if setting in ("annotate", "off"):
                needing.append(f"{direction}.categories.{category}={setting}")
        if side.get("streaming_mode") == "asynchronous":
            needing.append(f"{direction}.streaming_mode=asynchronous")
    return needing


def validate_config(config: Any) -> list[str]:
    """Every problem with the shape of a filter configuration; an empty list means valid."""
    if not isinstance(config, dict):
        return ["The configuration must be an object."]
    errors = []
    unknown = set(config) - {"name", "classifier", *DIRECTIONS}
    errors += [f"Unknown key {key!r}." for key in sorted(unknown)]
    if "name" in config and not isinstance(config["name"], str):
        errors.append("name must be a string.")
    if "classifier" in config and not isinstance(config["classifier"], str):
        errors.append("classifier must be a string.")
    for direction in DIRECTIONS:
        errors += _validate_side(config.get(direction), direction)
    return errors


def _validate_side(side: Any, direction: str) -> list[str]:
    if not isinstance(side, dict):
        return [f"{direction} must be an object."]
    allowed = {"categories", "blocklists", *OPTIONAL_MODELS[direction]}
    if direction == "completion":
        allowed.add("streaming_mode")
    errors = [f"{direction}: unknown key {key!r}." for key in sorted(set(side) - allowed)]
    errors += _validate_categories(side.get("categories"), direction)
    for model in OPTIONAL_MODELS[direction]:
        errors += _validate_choice(side, model, MODEL_SETTINGS, direction)
    if direction == "completion":
        errors += _validate_choice(side, "streaming_mode", STREAMING_MODES, direction)
    errors += _validate_blocklists(side.get("blocklists"), direction)
    return errors


def _validate_choice(side: dict, key: str, choices: tuple[str, ...], direction: str) -> list[str]:
    if key not in side:
        return [f"{direction}.{key} is missing."]
    if side[key] not in choices:
        return [f"{direction}.{key} must be one of {', '.join(choices)}, not {side[key]!r}."]
    return []


def _validate_categories(categories: Any, direction: str) -> list[str]:
    if not isinstance(categories, dict):
        return [f"{direction}.categories must be an object."]
    errors = [
        f"{direction}.categories: unknown category {name!r}."
        for name in sorted(set(categories) - set(CATEGORIES))
    ]
    for category in CATEGORIES:
        errors += _validate_choice(
            categories, category, CATEGORY_SETTINGS, f"{direction}.categories"
        )
    return errors


def _validate_blocklists(blocklists: Any, direction: str) -> list[str]:
    if not isinstance(blocklists, list):
        return [f"{direction}.blocklists must be a list."]
    errors = []
    seen_ids = set()
    for index, blocklist in enumerate(blocklists):
        where = f"{direction}.blocklists[{index}]"
        if not isinstance(blocklist, dict):
            errors.append(f"{where} must be an object.")
            continue
        if not isinstance(blocklist.get("id"), str) or not blocklist.get("id"):
            errors.append(f"{where}.id must be a non-empty string.")
        if not isinstance(blocklist.get("name"), str) or not blocklist.get("name"):
            errors.append(f"{where}.name must be a non-empty string.")
        if not isinstance(blocklist.get("blocking"), bool):
            errors.append(f"{where}.blocking must be true or false.")
        blocklist_id = blocklist.get("id")
        if isinstance(blocklist_id, str) and blocklist_id in seen_ids:
            errors.append(f"{where}: list {blocklist_id!r} is attached twice.")
        seen_ids.add(blocklist_id if isinstance(blocklist_id, str) else None)
    return errors
