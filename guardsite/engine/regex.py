"""Validation and compilation of user-supplied blocklist regular expressions.

Every user pattern goes through google-re2, whose automata run in time linear in the input, so a
pattern such as ``(a+)+$`` cannot hang the matcher. RE2 refuses the constructs it cannot run that
way (backreferences, lookaround) and we report its reason to the person saving the pattern.
"""

from __future__ import annotations

import re2

# A single pattern longer than this is almost certainly a pasted word list that belongs in plain
# terms; the limit also keeps the combined RE2 set of a list well under its memory budget.
MAX_PATTERN_LENGTH = 1000

# RE2's own per-pattern memory budget (bytes). Patterns whose automaton would exceed it fail with
# "pattern too large" rather than degrading.
MAX_PATTERN_MEMORY = 8 << 20


def regex_options() -> re2.Options:
    """The options every blocklist regex is validated and compiled with, so the two agree."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # errors are returned to the caller; stderr noise helps no one
    options.max_mem = MAX_PATTERN_MEMORY
    return options


def validate_regex(pattern: str) -> str | None:
    """Return a human-readable reason the pattern cannot be used, or None when it is fine."""
    if not pattern or not pattern.strip():
        return "The pattern is empty."
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"The pattern is longer than {MAX_PATTERN_LENGTH} characters."
    try:
        compiled = re2.compile(pattern, regex_options())
    except re2.error as exc:
        return f"Not a supported regular expression: {_error_text(exc)}."
    # A pattern that matches the empty string would flag every text ever sent.
    if compiled.fullmatch("") is not None:
        return "The pattern matches empty text, so it would match everything."
    return None


def _error_text(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else "unknown error"
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return str(reason)
