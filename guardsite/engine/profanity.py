"""The built-in English profanity list and its matcher.

The words come from the better-profanity package (MIT licence, ``profanity_wordlist.txt``), read
from the installed package rather than copied. That list is broad, so the entries named in
``data/profanity_en_excluded.txt`` (ordinary words, anatomy, identity terms, drugs, names) are
left out; see the comments there. Entries with a wildcard (``*``) are dropped because the matcher
works on literal terms.

The matcher normalises with leetspeak mapping on (``sh1t``, ``$hit``), unlike custom blocklists,
because obfuscated spellings are the norm for profanity and the list holds no product codes or
numbers that leet mapping could garble.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from guardsite.engine.blocklist import CompiledBlocklist
from guardsite.engine.normalize import NormalizedText
from guardsite.engine.types import BlocklistMatch, ProfanityResult

PROFANITY_LIST_ID = "builtin-profanity-en"
PROFANITY_LIST_NAME = "Profanity"


@lru_cache(maxsize=1)
def builtin_profanity_terms() -> list[str]:
    upstream = _read_lines(resources.files("better_profanity") / "profanity_wordlist.txt")
    excluded = {
        line.casefold()
        for line in _read_lines(
            resources.files("guardsite.engine") / "data/profanity_en_excluded.txt"
        )
    }
    terms = {term.casefold() for term in upstream if "*" not in term}
    return sorted(terms - excluded)


@lru_cache(maxsize=1)
def profanity_matcher() -> CompiledBlocklist:
    """The compiled built-in list, built once per process."""
    items = [(f"profanity-{n}", term, False) for n, term in enumerate(builtin_profanity_terms())]
    return CompiledBlocklist.build(PROFANITY_LIST_ID, PROFANITY_LIST_NAME, items, leet=True)


def detect_profanity(text: str) -> ProfanityResult:
    return _result(profanity_matcher().match(text))


def detect_profanity_normalized(normalized: NormalizedText) -> ProfanityResult:
    """As ``detect_profanity`` for text already normalised with ``leet=True``."""
    return _result(profanity_matcher().match_normalized(normalized))


def _result(matches: list[BlocklistMatch]) -> ProfanityResult:
    # Several list entries normalise alike ("shit", "sh1t"); report each place in the text once.
    by_span = {(match.start, match.end): match for match in reversed(matches)}
    unique = tuple(sorted(by_span.values(), key=lambda match: (match.start, match.end)))
    return ProfanityResult(detected=bool(unique), matches=unique)


def _read_lines(path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]
