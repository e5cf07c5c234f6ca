"""Protected material: does a text reproduce a substantial run of a registered work?

Each registered work is reduced to normalised tokens (``normalize``: case, accents, confusables,
zero-width characters; punctuation and whitespace are dropped entirely by tokenising on word
characters, so re-wrapping, re-casing and re-punctuating a passage do not hide it). Every run of
``SHINGLE_SIZE`` consecutive tokens is hashed and indexed. A text is checked by hashing its own
shingles and looking them up; hits of one work at nearby positions form a run.

Threshold. A work is flagged when the text reproduces at least ``MIN_RUN_TOKENS`` (40)
consecutive tokens of it, about 200-250 characters of English prose or a dozen lines of code, in
line with the 110-character minimum the compatible service documents and long enough that common
phrases never reach it. A single changed or inserted word breaks only the shingles that contain
it, and a run may bridge such a gap (``MAX_GAP_TOKENS``), so light paraphrasing inside a copied
passage does not hide it. A registered work shorter than 50 tokens is flagged when 80% of it is
reproduced. Works must have at least ``MIN_WORK_TOKENS`` tokens to be registered at all.

Why exact shingle postings rather than MinHash LSH (datasketch): LSH estimates the similarity of
whole documents, while the question here is whether a fragment of a work is contained in a longer
text; a posting list answers that directly and reports where the copy sits.

Scripts written without spaces (Han, kana, Hangul, Thai) are tokenised per character.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import zlib
from array import array
from dataclasses import dataclass, field

from guardsite.engine.normalize import NormalizedText, normalize
from guardsite.engine.types import (
    CodeCitation,
    ProtectedCodeResult,
    ProtectedTextResult,
    ProtectedWork,
)

SHINGLE_SIZE = 8
MIN_RUN_TOKENS = 40
SHORT_WORK_TOKENS = 50
SHORT_WORK_FRACTION = 0.8
MIN_WORK_TOKENS = 12
# Positions between two hits of one run may differ by up to one shingle plus this many extra
# tokens: one substituted word removes SHINGLE_SIZE consecutive shingle hits.
MAX_GAP_TOKENS = 2
KINDS = ("text", "code")
FORMAT_VERSION = 1

_NO_SPACE_CHARS = "\u0e00-\u0eff\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_TOKEN = re.compile(f"[{_NO_SPACE_CHARS}]|[^\\W{_NO_SPACE_CHARS}]+")


@dataclass(frozen=True)
class ProtectedMatch:
    work_id: str
    title: str
    kind: str
    source_url: str | None
    license: str | None
    matched_tokens: int
    # Span of the reproduced passage in the checked text (original characters, end exclusive).
    start: int
    end: int

    def as_text_result(self) -> ProtectedTextResult:
        return ProtectedTextResult(detected=True, work=ProtectedWork(self.work_id, self.title))

    def as_code_result(self) -> ProtectedCodeResult:
        return ProtectedCodeResult(
            detected=True, citation=CodeCitation(self.source_url, self.license)
        )


@dataclass
class _Work:
    work_id: str
    title: str
    kind: str
    source_url: str | None
    license: str | None
    token_count: int
    hashes: array  # array('Q') of shingle hashes, kept for serialisation

    @property
    def min_run(self) -> int:
        if self.token_count >= SHORT_WORK_TOKENS:
            return MIN_RUN_TOKENS
        return math.ceil(self.token_count * SHORT_WORK_FRACTION)


@dataclass
class ProtectedIndex:
    _works: list[_Work] = field(default_factory=list)
    # kind -> shingle hash -> indexes into _works
    _postings: dict[str, dict[int, list[int]]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )

    def __len__(self) -> int:
        return len(self._works)

    def add(
        self,
        work_id: str,
        title: str,
        text: str,
        kind: str = "text",
        source_url: str | None = None,
        license: str | None = None,
    ) -> None:
        _check_kind(kind)
        tokens = [token for token, _start, _end in _tokens(text)]
        if len(tokens) < MIN_WORK_TOKENS:
            raise ValueError(
                f"A protected work needs at least {MIN_WORK_TOKENS} words; this has {len(tokens)}."
            )
        hashes = array("Q", _shingle_hashes(tokens))
        work = _Work(str(work_id), title, kind, source_url, license, len(tokens), hashes)
        self._index_work(work)

    def detect(
        self, text: str, kind: str = "text", fingerprint: Fingerprint | None = None
    ) -> ProtectedMatch | None:
        """The registered work of ``kind`` most extensively reproduced in ``text``, if any.

        Pass ``fingerprint(normalize(text))`` when checking one text for both kinds: it is the
        expensive part and the same for both.
        """
        _check_kind(kind)
        normalized, spans, hashes = fingerprint or text_fingerprint(normalize(text))
        postings = self._postings[kind]
        positions_by_work: dict[int, list[int]] = {}
        for position, shingle in enumerate(hashes):
            for work_index in postings.get(shingle, ()):
                positions_by_work.setdefault(work_index, []).append(position)
        best: ProtectedMatch | None = None
        for work_index, positions in positions_by_work.items():
            work = self._works[work_index]
            first, last = _longest_run(positions)
            run_tokens = last - first + SHINGLE_SIZE
            if run_tokens >= work.min_run and (best is None or run_tokens > best.matched_tokens):
                start, end = normalized.original_span(
                    spans[first][0], spans[last + SHINGLE_SIZE - 1][1]
                )
                best = ProtectedMatch(
                    work.work_id,
                    work.title,
                    work.kind,
                    work.source_url,
                    work.license,
                    run_tokens,
                    start,
                    end,
                )
        return best

    def to_bytes(self) -> bytes:
        works = [
            {
                "id": work.work_id,
                "title": work.title,
                "kind": work.kind,
                "source_url": work.source_url,
                "license": work.license,
                "token_count": work.token_count,
                "hashes": base64.b64encode(work.hashes.tobytes()).decode("ascii"),
            }
            for work in self._works
        ]
        payload = {"format": FORMAT_VERSION, "shingle_size": SHINGLE_SIZE, "works": works}
        return zlib.compress(json.dumps(payload).encode("utf-8"))

    @classmethod
    def from_bytes(cls, data: bytes) -> ProtectedIndex:
        payload = json.loads(zlib.decompress(data))
        if payload.get("format") != FORMAT_VERSION or payload.get("shingle_size") != SHINGLE_SIZE:
            raise ValueError("The protected-material index was built by an incompatible version.")
        index = cls()
        for stored in payload["works"]:
            hashes = array("Q")
            hashes.frombytes(base64.b64decode(stored["hashes"]))
            index._index_work(
                _Work(
                    stored["id"],
                    stored["title"],
                    stored["kind"],
                    stored["source_url"],
                    stored["license"],
                    stored["token_count"],
                    hashes,
                )
            )
        return index

    def _index_work(self, work: _Work) -> None:
        work_index = len(self._works)
        self._works.append(work)
        postings = self._postings[work.kind]
        for shingle in set(work.hashes):
            postings.setdefault(shingle, []).append(work_index)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be 'text' or 'code', not {kind!r}")


# Normalised text, token spans in it (normalised positions), and the shingle hashes.
Fingerprint = tuple[NormalizedText, tuple[tuple[int, int], ...], tuple[int, ...]]


def text_fingerprint(normalized: NormalizedText) -> Fingerprint:
    """What detection needs of a text; spans map to the original only for a match."""
    found = list(_TOKEN.finditer(normalized.text))
    spans = tuple((match.start(), match.end()) for match in found)
    return normalized, spans, tuple(_shingle_hashes([match.group() for match in found]))


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Normalised tokens with their span in the ORIGINAL text."""
    normalized = normalize(text)
    return [
        (found.group(), *normalized.original_span(found.start(), found.end()))
        for found in _TOKEN.finditer(normalized.text)
    ]


def _shingle_hashes(tokens: list[str]) -> list[int]:
    # A process-independent hash: Python's hash() is salted per process and would
    # make a serialised index useless elsewhere.
    return [
        int.from_bytes(
            hashlib.blake2b(
                "\x1f".join(tokens[i : i + SHINGLE_SIZE]).encode(), digest_size=8
            ).digest(),
            "little",
        )
        for i in range(len(tokens) - SHINGLE_SIZE + 1)
    ]


def _longest_run(positions: list[int]) -> tuple[int, int]:
    """First and last shingle position of the longest chain of nearby hits (positions sorted)."""
    best = (positions[0], positions[0])
    run_start = previous = positions[0]
    for position in positions[1:]:
        if position - previous > SHINGLE_SIZE + MAX_GAP_TOKENS:
            run_start = position
        previous = position
        if previous - run_start > best[1] - best[0]:
            best = (run_start, previous)
    return best
