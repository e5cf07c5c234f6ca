"""Small display helpers for the configuration pages."""

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def readable(value: Any) -> str:
    """A stored value as a person reads it: '—' for nothing, lists joined, dicts as JSON."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(readable(item) for item in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value).replace("_", " ")


@register.filter
def setting_path(path: str) -> str:
    """'prompt.categories.self_harm' -> 'prompt › categories › self harm'."""
    return " › ".join(part.replace("_", " ") for part in str(path).split("."))


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None
