import pytest

from guardsite.engine.normalize import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bad", "bad"),
        ("b\u200dad", "bad"),  # zero-width joiner
        ("b\u200bad\u00ad", "bad"),  # zero-width space, soft hyphen
        ("\ufeffbad", "bad"),  # byte order mark
        ("\uff42\uff41\uff44", "bad"),  # fullwidth
        ("\uff22\uff21\uff24", "bad"),
        ("b\u0430d", "bad"),  # Cyrillic small a
        ("\u0392\u0391D", "bad"),  # Greek capitals
        ("ba\u0301d", "bad"),  # combining acute accent
        ("bád", "bad"),  # precomposed
        ("Z̸̢a̵l̷g̶o", "zalgo"),
        ("Straße", "strasse"),
        ("ﬁne", "fine"),  # ligature
        ("a \t\n  b", "a b"),
        ("a\u00a0b", "a b"),  # no-break space
    ],
)
def test_disguises_normalise_to_the_plain_word(text, expected):
    assert normalize(text).text == expected


def test_marks_that_carry_meaning_outside_latin_scripts_are_kept():
    assert normalize("がき").text != normalize("かき").text


def test_leetspeak_is_mapped_only_on_request():
    assert normalize("$h1t b4d").text == "$h1t b4d"
    assert normalize("$h1t b4d", leet=True).text == "shit bad"


@pytest.mark.parametrize(
    ("text", "normalised_span", "original_span"),
    [
        ("say b\u200dad now", (4, 7), (4, 8)),
        ("\uff53\uff41\uff59 \uff42\uff41\uff44", (4, 7), (4, 7)),
        ("say ba\u0301d now", (4, 7), (4, 8)),
        ("say bá\u0301", (4, 6), (4, 7)),  # trailing accent joins the span
        ("x\n\n\nbad", (2, 5), (4, 7)),
        ("ﬁne day", (0, 4), (0, 3)),
    ],
)
def test_spans_map_back_to_the_original_characters(text, normalised_span, original_span):
    assert normalize(text).original_span(*normalised_span) == original_span


def test_every_normalised_character_points_into_the_original():
    text = "\uff28\uff45\uff4c\uff4c\uff4f\u200d wörld ß ﬁ"
    normalized = normalize(text)

    assert len(normalized.sources) == len(normalized.text)
    assert list(normalized.sources) == sorted(normalized.sources)
    assert all(0 <= source < len(text) for source in normalized.sources)
