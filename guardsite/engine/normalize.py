"""Unicode normalisation for matching, with a map back to the user's original characters.

Terms and texts go through the same ``normalize`` so that disguises do not defeat a blocklist:

* compatibility forms are unified (NFKC/NFKD: fullwidth letters, ligatures, circled digits);
* case is folded (``str.casefold``, so ``ß`` matches ``ss``);
* format characters (Unicode category Cf: zero-width space/joiners, soft hyphen, bidi controls,
  BOM) are removed, so ``b\u200dad`` reads ``bad``;
* combining marks on Latin, Greek and Cyrillic letters are removed (``bád`` and Zalgo text read
  ``bad``). Marks on other scripts are kept because they carry meaning there (Japanese dakuten,
  Devanagari vowel signs) and removing them would merge different words;
* common Cyrillic and Greek look-alikes of Latin letters are mapped to Latin ("bad" spelled with
  a Cyrillic small a); this also maps genuine Cyrillic/Greek words, identically on both sides,
  so they still match themselves;
* runs of whitespace collapse to a single space;
* optionally (``leet=True``, used by the profanity list) digits and symbols that stand in for
  letters are mapped (``b4d``, ``$h1t``).

Every output character remembers the index of the original character it came from, so a match
in the normalised text is reported as a span of what the user actually wrote.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Look-alikes after case folding (uppercase forms fold to these first), named rather than typed so
# the source stays unambiguous. Deliberately limited to letters near-identical in common fonts;
# broader tables (Unicode's confusables.txt) would merge too many real words.
_CONFUSABLE_NAMES = {
    "CYRILLIC SMALL LETTER A": "a",
    "CYRILLIC SMALL LETTER VE": "b",
    "CYRILLIC SMALL LETTER IE": "e",
    "CYRILLIC SMALL LETTER IO": "e",
    "CYRILLIC SMALL LETTER SHHA": "h",
    "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I": "i",
    "CYRILLIC SMALL LETTER YI": "i",
    "CYRILLIC SMALL LETTER JE": "j",
    "CYRILLIC SMALL LETTER KA": "k",
    "CYRILLIC SMALL LETTER PALOCHKA": "l",
    "CYRILLIC SMALL LETTER EM": "m",
    "CYRILLIC SMALL LETTER EN": "h",
    "CYRILLIC SMALL LETTER O": "o",
    "CYRILLIC SMALL LETTER ER": "p",
    "CYRILLIC SMALL LETTER ES": "c",
    "CYRILLIC SMALL LETTER DZE": "s",
    "CYRILLIC SMALL LETTER TE": "t",
    "CYRILLIC SMALL LETTER U": "y",
    "CYRILLIC SMALL LETTER HA": "x",
    "CYRILLIC SMALL LETTER KOMI DE": "d",
    "CYRILLIC SMALL LETTER QA": "q",
    "CYRILLIC SMALL LETTER WE": "w",
    "GREEK SMALL LETTER ALPHA": "a",
    "GREEK SMALL LETTER BETA": "b",
    "GREEK SMALL LETTER EPSILON": "e",
    "GREEK SMALL LETTER ETA": "n",
    "GREEK SMALL LETTER IOTA": "i",
    "GREEK SMALL LETTER KAPPA": "k",
    "GREEK SMALL LETTER NU": "v",
    "GREEK SMALL LETTER OMICRON": "o",
    "GREEK SMALL LETTER RHO": "p",
    "GREEK SMALL LETTER TAU": "t",
    "GREEK SMALL LETTER UPSILON": "u",
    "GREEK SMALL LETTER CHI": "x",
    "GREEK SMALL LETTER OMEGA": "w",
}
CONFUSABLES = {unicodedata.lookup(name): latin for name, latin in _CONFUSABLE_NAMES.items()}

LEET = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "@": "a",
    "$": "s",
}

# Combining marks are stripped only after letters below this code point (Latin, IPA, Greek,
# Cyrillic) or in the Latin/Greek extended blocks.
_STRIP_MARKS_BELOW = 0x0530
_STRIP_MARKS_EXTENDED = range(0x1E00, 0x2000)


@dataclass(frozen=True)
class NormalizedText:
    original: str
    text: str
    # sources[i] is the index in ``original`` of the character that produced ``text[i]``.
    sources: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text (end exclusive, non-empty) to the original text.

        The span grows to take in combining marks that follow its last character, so an accent
        the normaliser dropped is not left dangling outside the reported match.
        """
        original_start = self.sources[start]
        original_end = self.sources[end - 1] + 1
        while original_end < len(self.original) and _is_dropped_mark(self.original, original_end):
            original_end += 1
        return original_start, original_end


def normalize(text: str, *, leet: bool = False) -> NormalizedText:
    if text.isascii():
        return _normalize_ascii(text, leet)
    folds = _FOLD_CACHE[leet]
    if len(folds) > _FOLD_CACHE_LIMIT:
        folds.clear()  # bounded: an adversary can send every code point
    pieces: list[str] = []
    sources: list[int] = []
    last_letter = ""
    for index, char in enumerate(text):
        folded = folds.get(char)
        if folded is None:
            folded = folds[char] = _classify_char(char, leet)
        if folded is _FORMAT:
            continue
        if folded is _MARK:
            if _mark_is_stripped_after(last_letter):
                continue
            folded = char
        if folded == " " and pieces and pieces[-1] == " ":
            continue
        if len(folded) == 1:
            pieces.append(folded)
            sources.append(index)
        else:
            pieces.extend(folded)
            sources.extend([index] * len(folded))
        if folded:
            last_letter = folded[-1]
    return NormalizedText(text, "".join(pieces), tuple(sources))


# Per-character results, one table per leet setting. Sentinels mark characters whose treatment
# depends on context (combining marks) or that are always dropped (format characters).
_FORMAT = "\x00format"
_MARK = "\x00mark"
_FOLD_CACHE: dict[bool, dict[str, str]] = {False: {}, True: {}}
_FOLD_CACHE_LIMIT = 65536


def _classify_char(char: str, leet: bool) -> str:
    category = unicodedata.category(char)
    if category == "Cf":
        return _FORMAT
    if category in ("Mn", "Me"):
        return _MARK
    return _fold_char(char, leet)


def _normalize_ascii(text: str, leet: bool) -> NormalizedText:
    # Most traffic is ASCII: no marks, no format characters, no confusables, one char in one out.
    folded = text.lower()
    if leet:
        folded = folded.translate(_LEET_TABLE)
    if not _has_whitespace_to_collapse(folded):
        return NormalizedText(text, folded, tuple(range(len(text))))
    pieces: list[str] = []
    sources: list[int] = []
    for index, char in enumerate(folded):
        if char.isspace():
            if pieces and pieces[-1] == " ":
                continue
            char = " "
        pieces.append(char)
        sources.append(index)
    return NormalizedText(text, "".join(pieces), tuple(sources))


_LEET_TABLE = str.maketrans(LEET)


def _has_whitespace_to_collapse(text: str) -> bool:
    return "  " in text or any(char in text for char in "\t\n\r\x0b\x0c")


def _fold_char(char: str, leet: bool) -> str:
    """The normalised form of one character (may be empty or several characters)."""
    if char.isspace():
        return " "
    decomposed = unicodedata.normalize("NFKD", char)
    base = decomposed[:1]
    if base and (ord(base) < _STRIP_MARKS_BELOW or ord(base) in _STRIP_MARKS_EXTENDED):
        decomposed = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Recompose what is left (Hangul syllables, kana with dakuten) so it matches NFKC text.
    folded = unicodedata.normalize("NFC", decomposed).casefold()
    folded = unicodedata.normalize("NFKC", folded)
    mapped = "".join(CONFUSABLES.get(c, c) for c in folded)
    if leet:
        mapped = mapped.translate(_LEET_TABLE)
    return mapped


def _mark_is_stripped_after(previous: str) -> bool:
    if not previous:
        return True  # a mark with nothing to attach to carries no meaning
    code = ord(previous)
    return code < _STRIP_MARKS_BELOW or code in _STRIP_MARKS_EXTENDED


def _is_dropped_mark(original: str, index: int) -> bool:
    return unicodedata.category(original[index]) in ("Mn", "Me")
