import pytest

from guardsite.engine.protected import ProtectedIndex

# Public-domain text (Lincoln, Gettysburg Address, 1863).
GETTYSBURG = (
    "Four score and seven years ago our fathers brought forth on this continent, a new nation, "
    "conceived in Liberty, and dedicated to the proposition that all men are created equal. "
    "Now we are engaged in a great civil war, testing whether that nation, or any nation so "
    "conceived and so dedicated, can long endure. We are met on a great battle-field of that "
    "war. We have come to dedicate a portion of that field, as a final resting place for those "
    "who here gave their lives that that nation might live. It is altogether fitting and proper "
    "that we should do this."
)

QUICKSORT = '''
def quicksort(items):
    """Sort a list using the quicksort algorithm with a middle pivot."""
    if len(items) <= 1:
        return items
    pivot = items[len(items) // 2]
    smaller = [item for item in items if item < pivot]
    equal = [item for item in items if item == pivot]
    larger = [item for item in items if item > pivot]
    return quicksort(smaller) + equal + quicksort(larger)
'''


@pytest.fixture
def index():
    index = ProtectedIndex()
    index.add("gettysburg", "Gettysburg Address", GETTYSBURG)
    index.add(
        "qs",
        "quicksort.py",
        QUICKSORT,
        kind="code",
        source_url="https://example.org/algos/quicksort.py",
        license="MIT",
    )
    return index


def test_verbatim_reproduction_inside_a_longer_text_is_found(index):
    text = "Sure, here is the speech you asked for: " + GETTYSBURG + " I hope this helps!"

    match = index.detect(text, "text")

    assert match is not None
    assert (match.work_id, match.title) == ("gettysburg", "Gettysburg Address")
    assert text[match.start : match.end].startswith("Four score")


def test_rewrapped_recased_and_repunctuated_copy_is_found(index):
    disguised = (
        GETTYSBURG.upper()
        .replace(",", "")
        .replace(".", " ;")
        .replace(" ", "\n", 20)
        .replace("-", " ")
    )

    assert index.detect(disguised, "text").work_id == "gettysburg"


def test_copy_with_unicode_disguises_and_a_changed_word_is_found(index):
    disguised = GETTYSBURG.replace("nation", "n\u0430tion").replace("great", "huge", 1)

    assert index.detect(disguised, "text").work_id == "gettysburg"


def test_a_short_quotation_is_not_protected_material(index):
    quote = "As Lincoln said, four score and seven years ago our fathers brought forth a nation."

    assert index.detect(quote, "text") is None


def test_unregistered_text_is_not_found(index):
    text = (
        "Our team reviewed the quarterly figures and found that revenue grew in every region, "
        "with the strongest gains in the north, while costs stayed flat because the new "
        "warehouse opened on schedule and the old leases ended in spring as planned."
    )

    assert index.detect(text, "text") is None


def test_reformatted_code_copy_is_found_with_its_citation(index):
    reformatted = QUICKSORT.replace("    ", "\t").replace("items", "Items").replace(" <= ", "<=")

    match = index.detect("Here you go:\n```python" + reformatted + "```", "code")

    assert match is not None
    assert match.as_code_result().to_dict() == {
        "detected": True,
        "citation": {"URL": "https://example.org/algos/quicksort.py", "license": "MIT"},
    }


def test_text_works_are_not_reported_as_code_and_vice_versa(index):
    assert index.detect(GETTYSBURG, "code") is None
    assert index.detect(QUICKSORT, "text") is None


def test_index_survives_serialisation(index):
    restored = ProtectedIndex.from_bytes(index.to_bytes())

    assert len(restored) == 2
    assert restored.detect(GETTYSBURG, "text").work_id == "gettysburg"
    assert restored.detect(QUICKSORT, "code").license == "MIT"
    assert restored.detect("nothing protected here at all", "text") is None


def test_too_short_work_is_refused():
    with pytest.raises(ValueError, match="at least"):
        ProtectedIndex().add("w", "Tiny", "just a few words")


def test_unknown_kind_is_refused(index):
    with pytest.raises(ValueError, match="kind"):
        index.detect(GETTYSBURG, "lyrics")
