import pytest

from guardsite.engine.profanity import builtin_profanity_terms, detect_profanity


def test_builtin_list_has_common_profanity_and_not_ordinary_words():
    terms = set(builtin_profanity_terms())

    assert {"fuck", "shit", "bitch"} <= terms
    assert not {"god", "kill", "gay", "penis", "vodka"} & terms


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("What the FUCK is this", "FUCK"),
        ("sh1t happens", "sh1t"),
        ("you are an A$$hole", "A$$hole"),
        ("f.u.c.k this", "f.u.c.k"),
        ("b\u200bitch", "b\u200bitch"),
    ],
)
def test_profanity_is_detected_with_the_original_spelling(text, matched):
    result = detect_profanity(text)

    assert result.detected is True
    assert [m.matched_text for m in result.matches] == [matched]


@pytest.mark.parametrize(
    "text",
    ["a class act in Scunthorpe", "the gay couple married", "kill the process", "shiitake soup"],
)
def test_clean_text_is_not_profanity(text):
    result = detect_profanity(text)

    assert result.detected is False
    assert result.matches == ()
