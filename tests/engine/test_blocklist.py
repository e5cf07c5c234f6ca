import pytest

from guardsite.engine.blocklist import (
    CompiledBlocklist,
    clear_matchers,
    forget_matcher,
    get_matcher,
)


def build(*items):
    """Items as (text, is_regex); ids are the 1-based position."""
    numbered = [(str(n), text, is_regex) for n, (text, is_regex) in enumerate(items, 1)]
    return CompiledBlocklist.build("list-1", "rivals", numbered)


def hits(blocklist, text):
    return [(m.item_text, m.matched_text, m.start, m.end) for m in blocklist.match(text)]


def test_term_match_reports_list_item_and_original_span():
    [match] = build(("Acme", False)).match("Try ACME today")

    assert match.blocklist_id == "list-1"
    assert match.blocklist_name == "rivals"
    assert match.item_id == "1"
    assert match.item_text == "Acme"
    assert (match.matched_text, match.start, match.end) == ("ACME", 4, 8)


@pytest.mark.parametrize(
    ("text", "matched", "span"),
    [
        ("so b\u200dad!", "b\u200dad", (3, 7)),  # zero-width joiner inside the term
        ("so \uff42\uff41\uff44!", "\uff42\uff41\uff44", (3, 6)),  # fullwidth letters
        ("so b\u0430d!", "b\u0430d", (3, 6)),  # Cyrillic small a
        ("so ba\u0301d!", "ba\u0301d", (3, 7)),  # combining accent
        ("so BÁD!", "BÁD", (3, 6)),
    ],
)
def test_unicode_disguises_still_match_with_the_original_span(text, matched, span):
    assert hits(build(("bad", False)), text) == [("bad", matched, *span)]


@pytest.mark.parametrize("text", ["class", "assignment", "bass guitar", "massive", "ass_"])
def test_terms_match_whole_words_only(text):
    assert hits(build(("ass", False)), text) == []


@pytest.mark.parametrize("text", ["ass", "you ass.", "(ass)", "ASS!", "ass\nhat"])
def test_whole_word_terms_match_next_to_punctuation_and_edges(text):
    assert len(hits(build(("ass", False)), text)) == 1


def test_multi_word_term_matches_across_any_whitespace():
    assert hits(build(("acme corp", False)), "the Acme \n Corp deal") == [
        ("acme corp", "Acme \n Corp", 4, 15)
    ]


def test_cjk_terms_match_as_substrings():
    assert hits(build(("漢字", False)), "我爱漢字们") == [("漢字", "漢字", 2, 4)]


def test_latin_term_next_to_cjk_text_matches():
    assert hits(build(("bad", False)), "これはbadです") == [("bad", "bad", 3, 6)]


def test_term_ending_in_punctuation_needs_no_boundary_there():
    assert hits(build(("c++", False)), "I like c++.") == [("c++", "c++", 7, 10)]


def test_overlapping_terms_are_all_reported():
    found = hits(build(("acme", False), ("acme corp", False)), "acme corp")

    assert [item for item, *_ in found] == ["acme", "acme corp"]


def test_every_occurrence_is_reported():
    assert [start for _, _, start, _ in hits(build(("bad", False)), "bad, bad, bad")] == [0, 5, 10]


def test_regex_matches_over_normalised_text():
    blocklist = build((r"b[a@]d\s*word", True))

    assert hits(blocklist, "a BÁD  WORD here") == [(r"b[a@]d\s*word", "BÁD  WORD", 2, 11)]
    assert hits(blocklist, "b@dword") == [(r"b[a@]d\s*word", "b@dword", 0, 7)]
    assert hits(blocklist, "good word") == []


def test_catastrophic_regex_completes_on_long_input():
    blocklist = build((r"(a+)+$", True))

    assert hits(blocklist, "a" * 10_000 + "!") == []
    assert len(hits(blocklist, "a" * 10_000)) == 1


def test_many_regexes_only_report_those_that_match():
    blocklist = build(*[(f"secret{n}x", True) for n in range(100)])

    assert [item for item, *_ in hits(blocklist, "leak secret42x and secret7x")] == [
        "secret42x",
        "secret7x",
    ]


def test_unusable_items_are_skipped_with_a_reason_and_the_rest_still_match():
    blocklist = build((r"(?<=x)y", True), ("\u200b", False), ("bad", False))

    assert hits(blocklist, "bad") == [("bad", "bad", 0, 3)]
    assert {item_id for item_id, _ in blocklist.skipped} == {"1", "2"}


def test_large_list_matches_like_a_small_one():
    terms = [(f"term{n}", False) for n in range(10_000)]
    regexes = [(rf"code{n}-\d+", True) for n in range(100)]
    blocklist = build(*terms, *regexes, ("needle", False))

    found = hits(blocklist, "a needle, term9999 and code99-123 but not term10000")

    assert [item for item, *_ in found] == ["needle", "term9999", r"code99-\d+"]


def test_empty_list_matches_nothing():
    assert build().match("anything") == []


# --- cache ---------------------------------------------------------------------------------


@pytest.fixture
def fresh_cache():
    clear_matchers()
    yield
    clear_matchers()


def counting_loader(items):
    calls = []

    def loader():
        calls.append(1)
        return items

    return loader, calls


@pytest.mark.usefixtures("fresh_cache")
def test_cached_matcher_is_reused_for_the_same_version():
    loader, calls = counting_loader([("1", "bad", False)])

    first = get_matcher("b1", 3, loader, name="rivals")
    second = get_matcher("b1", 3, loader, name="rivals")

    assert first is second
    assert len(calls) == 1
    assert first.match("bad")[0].blocklist_name == "rivals"


@pytest.mark.usefixtures("fresh_cache")
def test_new_version_replaces_the_cached_matcher():
    get_matcher("b1", 1, lambda: [("1", "old", False)])

    updated = get_matcher("b1", 2, lambda: [("1", "new", False)])

    assert updated.match("old") == []
    assert len(updated.match("new")) == 1
    assert get_matcher("b1", 2, lambda: []) is updated


@pytest.mark.usefixtures("fresh_cache")
def test_forgotten_matcher_is_rebuilt():
    loader, calls = counting_loader([("1", "bad", False)])
    get_matcher("b1", 1, loader)

    forget_matcher("b1")
    get_matcher("b1", 1, loader)

    assert len(calls) == 2
