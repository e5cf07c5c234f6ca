"""Translating between a filter's stored fields, its config dict and the cloud RAI-policy JSON.

The config dict (docs/filter-config.md) is what versions store and what the engine reads; the
RAI-policy shape (shared/spec/compat-api.md section 4) is for import and export only.
"""

from typing import Any

from django.core.exceptions import ValidationError

from .models import (
    DIRECTIONS,
    HARM_CATEGORIES,
    OPTIONAL_MODELS,
    ContentFilter,
    ModelAction,
    Severity,
    StreamingMode,
)

SETTING_FIELDS = tuple(
    [f"{direction}_{category}" for direction in DIRECTIONS for category in HARM_CATEGORIES]
    + [f"{direction}_{model}" for direction in DIRECTIONS for model in OPTIONAL_MODELS[direction]]
    + ["streaming_mode", "classifier"]
)

RAI_NAMES = {
    "hate": "Hate",
    "sexual": "Sexual",
    "self_harm": "Selfharm",
    "violence": "Violence",
    "jailbreak": "Jailbreak",
    "indirect_attack": "Indirect Attack",
    "protected_material_text": "Protected Material Text",
    "protected_material_code": "Protected Material Code",
    "profanity": "Profanity",
}
RAI_KEYS = {rai.lower(): key for key, rai in RAI_NAMES.items()}
RAI_SOURCES = {"prompt": "Prompt", "completion": "Completion"}
RAI_MODES = {StreamingMode.DEFAULT: "Default", StreamingMode.ASYNCHRONOUS: "Asynchronous_filter"}


def settings_of(content_filter: ContentFilter) -> dict[str, str]:
    return {field: getattr(content_filter, field) for field in SETTING_FIELDS}


def settings_from_config(config: dict) -> dict[str, str]:
    """Field values from a config dict (a stored version), for restoring it."""
    values: dict[str, str] = {}
    for direction in DIRECTIONS:
        side = config.get(direction, {})
        for category in HARM_CATEGORIES:
            values[f"{direction}_{category}"] = side.get("categories", {}).get(
                category, Severity.MEDIUM
            )
        for model in OPTIONAL_MODELS[direction]:
            values[f"{direction}_{model}"] = side.get(model, ModelAction.OFF)
    values["streaming_mode"] = config.get("completion", {}).get(
        "streaming_mode", StreamingMode.DEFAULT
    )
    values["classifier"] = config.get("classifier", "")
    return values


def export_rai_policy(content_filter: ContentFilter) -> dict[str, Any]:
    config = content_filter.as_config()
    entries = []
    for direction in DIRECTIONS:
        side = config[direction]
        for category in HARM_CATEGORIES:
            setting = side["categories"][category]
            entries.append(
                {
                    "name": RAI_NAMES[category],
                    "enabled": setting != Severity.OFF,
                    "blocking": setting in (Severity.LOW, Severity.MEDIUM, Severity.HIGH),
                    "severityThreshold": setting.capitalize()
                    if setting in (Severity.LOW, Severity.MEDIUM, Severity.HIGH)
                    else "Medium",
                    "source": RAI_SOURCES[direction],
                }
            )
        for model in OPTIONAL_MODELS[direction]:
            action = side[model]
            entries.append(
                {
                    "name": RAI_NAMES[model],
                    "enabled": action != ModelAction.OFF,
                    "blocking": action == ModelAction.BLOCK,
                    "source": RAI_SOURCES[direction],
                }
            )
    return {
        "name": content_filter.name,
        "properties": {
            "mode": RAI_MODES[StreamingMode(config["completion"]["streaming_mode"])],
            "basePolicyName": "Microsoft.DefaultV2",
            "contentFilters": entries,
            "customBlocklists": [
                {
                    "blocklistName": blocklist["name"],
                    "blocking": blocklist["blocking"],
                    "source": RAI_SOURCES[direction],
                }
                for direction in DIRECTIONS
                for blocklist in config[direction]["blocklists"]
            ],
        },
    }


def parse_rai_policy(policy: Any) -> tuple[dict[str, str], list[tuple[str, str, bool]]]:
    """Field values and (blocklist name, direction, blocking) from an RAI policy.

    Accepts the policy itself or the ARM envelope with ``properties``. Anything it does not
    understand is an error, reported all at once, rather than silently ignored.
    """
    if not isinstance(policy, dict):
        raise ValidationError("An RAI policy must be a JSON object.")
    body = policy.get("properties", policy)
    if not isinstance(body, dict):
        raise ValidationError("'properties' must be a JSON object.")
    errors: list[str] = []
    values = settings_from_config({})
    sources = {rai.lower(): direction for direction, rai in RAI_SOURCES.items()}

    mode = body.get("mode", "Default")
    modes = {rai: mode_value for mode_value, rai in RAI_MODES.items()}
    if not isinstance(mode, str) or mode not in modes:
        errors.append(f"mode must be one of {', '.join(modes)}, not {mode!r}.")
    else:
        values["streaming_mode"] = modes[mode]

    entries = body.get("contentFilters", [])
    if not isinstance(entries, list):
        errors.append("contentFilters must be a list.")
        entries = []
    for index, entry in enumerate(entries):
        where = f"contentFilters[{index}]"
        if not isinstance(entry, dict):
            errors.append(f"{where} must be an object.")
            continue
        key = RAI_KEYS.get(str(entry.get("name", "")).lower())  # str(): a list is no name
        direction = sources.get(str(entry.get("source", "")).lower())
        if key is None:
            errors.append(f"{where}: unknown filter name {entry.get('name')!r}.")
            continue
        if direction is None:
            errors.append(f"{where}: source must be 'Prompt' or 'Completion'.")
            continue
        enabled = entry.get("enabled", True)
        blocking = entry.get("blocking", True)
        if not isinstance(enabled, bool) or not isinstance(blocking, bool):
            errors.append(f"{where}: enabled and blocking must be true or false.")
            continue
        if key in HARM_CATEGORIES:
            threshold = str(entry.get("severityThreshold", "Medium")).lower()
            if threshold not in ("low", "medium", "high"):
                errors.append(f"{where}: severityThreshold must be Low, Medium or High.")
                continue
            if not enabled:
                values[f"{direction}_{key}"] = Severity.OFF
            elif not blocking:
                values[f"{direction}_{key}"] = Severity.ANNOTATE
            else:
                values[f"{direction}_{key}"] = threshold
        elif key in OPTIONAL_MODELS[direction]:
            if not enabled:
                values[f"{direction}_{key}"] = ModelAction.OFF
            else:
                values[f"{direction}_{key}"] = (
                    ModelAction.BLOCK if blocking else ModelAction.ANNOTATE
                )
        else:
            errors.append(f"{where}: {entry['name']} cannot be set on {entry['source']}.")

    attachments: list[tuple[str, str, bool]] = []
    lists = body.get("customBlocklists", [])
    if not isinstance(lists, list):
        errors.append("customBlocklists must be a list.")
        lists = []
    for index, entry in enumerate(lists):
        where = f"customBlocklists[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("blocklistName"), str):
            errors.append(f"{where} must be an object with a blocklistName.")
            continue
        direction = sources.get(str(entry.get("source", "")).lower())
        if direction is None:
            errors.append(f"{where}: source must be 'Prompt' or 'Completion'.")
            continue
        blocking = entry.get("blocking", True)
        if not isinstance(blocking, bool):
            errors.append(f"{where}: blocking must be true or false.")
            continue
        attachments.append((entry["blocklistName"], direction, blocking))

    if errors:
        raise ValidationError(errors)
    return values, attachments


def config_diff(old: dict | None, new: dict) -> list[tuple[str, Any, Any]]:
    """Readable differences between two config dicts: (path, before, after), in path order."""
    flat_old = _flatten(old or {})
    flat_new = _flatten(new)
    return [
        (path, flat_old.get(path), flat_new.get(path))
        for path in sorted(set(flat_old) | set(flat_new))
        if flat_old.get(path) != flat_new.get(path)
    ]


def _flatten(config: dict, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if key == "blocklists" and isinstance(value, list):
            for attached in value:
                mode = "blocking" if attached.get("blocking") else "annotate only"
                flat[f"{path}.{attached.get('name')}"] = mode
        elif isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat
