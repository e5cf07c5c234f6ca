import pytest

from guardsite.engine.regex import MAX_PATTERN_LENGTH, validate_regex


@pytest.mark.parametrize(
    "pattern",
    [r"b[a@4]d\s*word", r"(?i)competitor\d+", r"(a+)+$", r"\bfoo\b"],
)
def test_supported_patterns_are_accepted(pattern):
    assert validate_regex(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "reason_mentions"),
    [
        (r"(?<=x)a", "(?<="),
        (r"a(", "missing )"),
        (r"(a)\1", r"\1"),
        (r"[z-a]", "range"),
    ],
)
def test_unsupported_patterns_return_re2_reason(pattern, reason_mentions):
    reason = validate_regex(pattern)
    assert reason is not None
    assert reason_mentions in reason


@pytest.mark.parametrize("pattern", ["", "   "])
def test_empty_pattern_is_refused(pattern):
    assert "empty" in validate_regex(pattern)


def test_pattern_matching_empty_text_is_refused():
    assert "everything" in validate_regex(r"a*")


def test_overlong_pattern_is_refused():
    assert "longer" in validate_regex("x" * (MAX_PATTERN_LENGTH + 1))


def test_pattern_whose_automaton_is_too_big_is_refused():
    assert "too large" in validate_regex(r"[\p{L}]{500}[\p{L}]{500}")
