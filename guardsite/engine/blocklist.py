"""Compiled custom blocklists: many terms and regexes matched in one pass over a text.

Terms go into one Aho-Corasick automaton (pyahocorasick) over normalised text (see
``normalize.py``), so the cost of a match call depends on the text and the number of hits, not on
the number of terms. Regexes go through one RE2 set, which says in a single linear pass which
patterns occur anywhere; only the patterns that did occur are run again to find their spans. RE2
never backtracks, so no pattern can hang the matcher.

Word boundaries. A term matches whole words only: "ass" does not match "class". A term edge that
is a letter or digit must sit next to a non-word character (or the text edge). Scripts written
without spaces between words (Han, kana, Hangul, Thai, Lao, Khmer, Myanmar) have no such
boundaries, so a term edge in one of those scripts matches as a substring, and a character of those
scripts next to a term counts as a boundary ("これはbadです" matches "bad"). Term edges that are
punctuation ("c++", "@handle") need no boundary. Regexes get no implicit boundaries: authors write
``\\b`` themselves.

Regexes run over the normalised text too (case-folded, accents and confusables mapped), so
``b[a@]d`` catches "BÁD" and "bad" spelled with a Cyrillic a; spans are mapped back to the original.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import ahocorasick
import re2

from guardsite.engine.normalize import NormalizedText, normalize
from guardsite.engine.regex import regex_options, validate_regex
from guardsite.engine.types import BlocklistMatch

# RE2 set memory budget. A set that runs out of DFA memory reports "no match", so the budget is
# generous; sets are also capped at REGEXES_PER_SET patterns and split if compilation fails.
REGEX_SET_MEMORY = 64 << 20
REGEXES_PER_SET = 128

_NO_SPACE_SCRIPTS = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)


class BlocklistItem(NamedTuple):
    item_id: str
    text: str
    is_regex: bool = False


@dataclass(frozen=True)
class _TermEntry:
    """Everything the automaton needs to know about one normalised term."""

    length: int
    needs_left_boundary: bool
    needs_right_boundary: bool
    items: tuple[BlocklistItem, ...]


@dataclass
class _RegexGroup:
    matcher: re2.Set
    items: list[tuple[BlocklistItem, re2._Regexp]]


@dataclass
class CompiledBlocklist:
    blocklist_id: str
    name: str
    leet: bool = False
    term_count: int = 0
    regex_count: int = 0
    # Items that could not be compiled (a regex saved before validation existed, a term that
    # normalises to nothing), with the reason, so the management side can show them.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    _automaton: ahocorasick.Automaton | None = None
    _regex_groups: list[_RegexGroup] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        blocklist_id: str,
        name: str,
        items: Iterable[tuple[str, str, bool]],
        *,
        leet: bool = False,
    ) -> CompiledBlocklist:
        compiled = cls(blocklist_id=str(blocklist_id), name=name, leet=leet)
        terms: list[BlocklistItem] = []
        regexes: list[BlocklistItem] = []
        for raw in items:
            item = BlocklistItem(str(raw[0]), raw[1], bool(raw[2]))
            (regexes if item.is_regex else terms).append(item)
        compiled._automaton = compiled._build_automaton(terms)
        compiled._regex_groups = compiled._build_regex_groups(regexes)
        return compiled

    def match(self, text: str) -> list[BlocklistMatch]:
        return self.match_normalized(normalize(text, leet=self.leet))

    def match_normalized(self, normalized: NormalizedText) -> list[BlocklistMatch]:
        """Match a text already normalised (with this list's ``leet`` setting)."""
        spans = self._term_spans(normalized.text) + self._regex_spans(normalized.text)
        matches = {self._to_match(normalized, item, start, end) for item, start, end in spans}
        return sorted(matches, key=lambda m: (m.start, m.end, m.item_id))

    def _build_automaton(self, terms: list[BlocklistItem]) -> ahocorasick.Automaton | None:
        by_normalized_text: dict[str, list[BlocklistItem]] = {}
        for item in terms:
            key = normalize(item.text.strip(), leet=self.leet).text
            if not key:
                self.skipped.append((item.item_id, "The term is empty after normalisation."))
                continue
            by_normalized_text.setdefault(key, []).append(item)
        self.term_count = sum(len(group) for group in by_normalized_text.values())
        if not by_normalized_text:
            return None
        automaton = ahocorasick.Automaton()
        for key, group in by_normalized_text.items():
            entry = _TermEntry(
                length=len(key),
                needs_left_boundary=_edge_needs_boundary(key[0]),
                needs_right_boundary=_edge_needs_boundary(key[-1]),
                items=tuple(group),
            )
            automaton.add_word(key, entry)
        automaton.make_automaton()
        return automaton

    def _build_regex_groups(self, regexes: list[BlocklistItem]) -> list[_RegexGroup]:
        usable = []
        for item in regexes:
            reason = validate_regex(item.text)
            if reason is not None:
                self.skipped.append((item.item_id, reason))
                continue
            usable.append((item, re2.compile(item.text, regex_options())))
        self.regex_count = len(usable)
        groups = []
        for start in range(0, len(usable), REGEXES_PER_SET):
            groups += self._compile_sets(usable[start : start + REGEXES_PER_SET])
        return groups

    def _compile_sets(self, members: list) -> list[_RegexGroup]:
        """One RE2 set for the members, halving the group when RE2 cannot compile it whole."""
        matcher = re2.Set.SearchSet(_set_options())
        try:
            for item, _pattern in members:
                matcher.Add(item.text)
            matcher.Compile()
        except re2.error:
            if len(members) == 1:
                self.skipped.append((members[0][0].item_id, "The pattern is too large."))
                self.regex_count -= 1
                return []
            middle = len(members) // 2
            return self._compile_sets(members[:middle]) + self._compile_sets(members[middle:])
        return [_RegexGroup(matcher=matcher, items=members)]

    def _term_spans(self, text: str) -> list[tuple[BlocklistItem, int, int]]:
        if self._automaton is None or not text:
            return []
        spans = []
        for last_index, entry in self._automaton.iter(text):
            start, end = last_index - entry.length + 1, last_index + 1
            if entry.needs_left_boundary and not _is_boundary(text, start - 1):
                continue
            if entry.needs_right_boundary and not _is_boundary(text, end):
                continue
            spans += [(item, start, end) for item in entry.items]
        return spans

    def _regex_spans(self, text: str) -> list[tuple[BlocklistItem, int, int]]:
        spans = []
        for group in self._regex_groups:
            for index in group.matcher.Match(text) or ():
                item, pattern = group.items[index]
                spans += [
                    (item, *found.span())
                    for found in pattern.finditer(text)
                    if found.end() > found.start()
                ]
        return spans

    def _to_match(
        self, normalized: NormalizedText, item: BlocklistItem, start: int, end: int
    ) -> BlocklistMatch:
        original_start, original_end = normalized.original_span(start, end)
        return BlocklistMatch(
            blocklist_id=self.blocklist_id,
            blocklist_name=self.name,
            item_id=item.item_id,
            item_text=item.text,
            matched_text=normalized.original[original_start:original_end],
            start=original_start,
            end=original_end,
        )


def _set_options() -> re2.Options:
    options = regex_options()
    options.max_mem = REGEX_SET_MEMORY
    return options


def _in_no_space_script(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _NO_SPACE_SCRIPTS)


def _is_word_char(char: str) -> bool:
    return (char.isalnum() or char == "_") and not _in_no_space_script(char)


def _edge_needs_boundary(char: str) -> bool:
    return _is_word_char(char)


def _is_boundary(text: str, index: int) -> bool:
    """Whether position ``index`` of the text (just outside a match) is not part of a word."""
    if index < 0 or index >= len(text):
        return True
    return not _is_word_char(text[index])


# --- process-wide cache -------------------------------------------------------------------

# Enough for every list a busy deployment attaches; each entry is one automaton and a few sets.
MATCHER_CACHE_SIZE = 512

_matchers: OrderedDict[str, tuple[int, CompiledBlocklist]] = OrderedDict()
_matchers_lock = threading.Lock()


def get_matcher(
    blocklist_id: str,
    version: int,
    loader: Callable[[], Iterable[tuple[str, str, bool]]],
    *,
    name: str | None = None,
) -> CompiledBlocklist:
    """The compiled matcher for a list at a version, building it with ``loader()`` if needed.

    The management side bumps a list's version on every change, so a new version replaces the
    cached matcher. Building happens outside the lock: two threads may both build a new version,
    which costs a little work but never blocks matching on other lists.
    """
    key = str(blocklist_id)
    with _matchers_lock:
        cached = _matchers.get(key)
        if cached is not None and cached[0] == version:
            _matchers.move_to_end(key)
            return cached[1]
    compiled = CompiledBlocklist.build(key, name if name is not None else key, loader())
    with _matchers_lock:
        current = _matchers.get(key)
        # Never let a slow build of an old version overwrite a newer one.
        if current is None or current[0] <= version:
            _matchers[key] = (version, compiled)
            _matchers.move_to_end(key)
        while len(_matchers) > MATCHER_CACHE_SIZE:
            _matchers.popitem(last=False)
    return compiled


def forget_matcher(blocklist_id: str) -> None:
    """Drop a list's matcher (after the list is deleted)."""
    with _matchers_lock:
        _matchers.pop(str(blocklist_id), None)


def clear_matchers() -> None:
    with _matchers_lock:
        _matchers.clear()
