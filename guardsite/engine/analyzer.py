"""One entry point that runs the models and matchers over a text and returns an ``Analysis``.

The harm model is any object with the ``HarmModel`` interface of ``classifier.py`` (``score``,
``severity``, ``attack_detected``, ``indirect_detected``, ``detect_language``,
``model_version``); without one, the model-based parts of the analysis are left out (``None``),
never reported as clean.

Which parts are computed is chosen by ``want`` (names below); by default everything that applies
to the role. Prompt-attack detection runs only on prompts and indirect-attack detection only on
the documents attached to a prompt, as the compatible service does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from guardsite.engine.blocklist import CompiledBlocklist
from guardsite.engine.decision import models_needed
from guardsite.engine.normalize import NormalizedText, normalize
from guardsite.engine.profanity import detect_profanity_normalized
from guardsite.engine.protected import Fingerprint, ProtectedIndex, text_fingerprint
from guardsite.engine.types import (
    CATEGORIES,
    Analysis,
    BlocklistMatch,
    CategoryResult,
    Detection,
    ProtectedCodeResult,
    ProtectedTextResult,
)

ROLES = ("prompt", "completion")
PARTS = frozenset(
    {
        "categories",
        "language",
        "jailbreak",
        "indirect_attack",
        "profanity",
        "protected_material_text",
        "protected_material_code",
    }
)
DEFAULT_WANT = {
    "prompt": frozenset({"categories", "language", "jailbreak", "indirect_attack", "profanity"}),
    "completion": frozenset(
        {
            "categories",
            "language",
            "profanity",
            "protected_material_text",
            "protected_material_code",
        }
    ),
}
_PROMPT_ONLY = frozenset({"jailbreak", "indirect_attack"})


def analysis_wants(config: dict[str, Any], direction: str) -> frozenset[str]:
    """The parts to compute so that ``decide(analysis, config, direction)`` has what it needs."""
    return frozenset({"categories", "language"}) | models_needed(config, direction)


@dataclass(frozen=True)
class _ModelScores:
    """Model output for a batch: text scores, and document scores grouped per text."""

    texts: dict[str, Any] | None
    severities: dict[str, Any]
    attack_detected: Any
    documents: list[list[tuple[float, bool]]]


class Analyzer:
    def __init__(self, model: Any = None, protected_index: ProtectedIndex | None = None):
        self.model = model
        # No index means no registered works: analysed, and nothing can be protected.
        self.protected_index = protected_index or ProtectedIndex()

    def analyze(
        self,
        text: str,
        role: str = "prompt",
        documents: Sequence[str] = (),
        blocklists: Iterable[CompiledBlocklist] = (),
        want: Iterable[str] | None = None,
    ) -> Analysis:
        [analysis] = self.analyze_batch([text], role, [documents], blocklists, want)
        return analysis

    def analyze_batch(
        self,
        texts: Sequence[str],
        role: str = "prompt",
        documents: Sequence[Sequence[str]] | None = None,
        blocklists: Iterable[CompiledBlocklist] = (),
        want: Iterable[str] | None = None,
    ) -> list[Analysis]:
        """Analyse several texts of one role, with one model call for all texts and documents.

        ``documents``, when given, holds one sequence of documents per text.
        """
        parts = self._parts(role, want)
        document_lists: list[list[str]] = (
            [list(docs) for docs in documents] if documents else [[] for _ in texts]
        )
        if len(document_lists) != len(texts):
            raise ValueError("documents must hold one sequence per text")
        blocklists = list(blocklists)
        scores = self._score(texts, document_lists, parts)
        languages = self._languages(texts, parts)
        return [
            self._analysis(index, text, scores, languages, parts, blocklists)
            for index, text in enumerate(texts)
        ]

    def _parts(self, role: str, want: Iterable[str] | None) -> frozenset[str]:
        if role not in ROLES:
            raise ValueError(f"role must be 'prompt' or 'completion', not {role!r}")
        parts = DEFAULT_WANT[role] if want is None else frozenset(want)
        unknown = parts - PARTS
        if unknown:
            raise ValueError(f"unknown analysis parts: {', '.join(sorted(unknown))}")
        return parts - _PROMPT_ONLY if role == "completion" else parts

    def _score(
        self, texts: Sequence[str], documents: list[list[str]], parts: frozenset[str]
    ) -> _ModelScores:
        if self.model is None or not parts & {"categories", "jailbreak", "indirect_attack"}:
            return _ModelScores(texts=None, severities={}, attack_detected=None, documents=[])
        want_documents = "indirect_attack" in parts
        flat_documents = [doc for docs in documents for doc in docs] if want_documents else []
        # One model call for texts and documents together: batching is where the model is fast.
        scores = self.model.score(list(texts) + flat_documents)
        count = len(texts)
        text_scores = {head: values[:count] for head, values in scores.items()}
        return _ModelScores(
            texts=text_scores,
            severities={c: self.model.severity(c, text_scores[c]) for c in CATEGORIES},
            attack_detected=self.model.attack_detected(text_scores["attack"]),
            documents=self._document_detections(scores, count, documents) if want_documents else [],
        )

    def _document_detections(
        self, scores: dict[str, Any], offset: int, documents: list[list[str]]
    ) -> list[list[tuple[float, bool]]]:
        indirect = scores["indirect"][offset:]
        detected = self.model.indirect_detected(indirect)
        grouped, position = [], 0
        for docs in documents:
            grouped.append(
                [
                    (float(indirect[position + i]), bool(detected[position + i]))
                    for i in range(len(docs))
                ]
            )
            position += len(docs)
        return grouped

    def _languages(self, texts: Sequence[str], parts: frozenset[str]) -> list[str | None]:
        if self.model is None or "language" not in parts:
            return [None] * len(texts)
        return list(self.model.detect_language(list(texts)))

    def _analysis(
        self,
        index: int,
        text: str,
        scores: _ModelScores,
        languages: list[str | None],
        parts: frozenset[str],
        blocklists: list[CompiledBlocklist],
    ) -> Analysis:
        normalized = {False: normalize(text)}
        if "profanity" in parts or any(blocklist.leet for blocklist in blocklists):
            normalized[True] = normalize(text, leet=True)
        fingerprint = (
            text_fingerprint(normalized[False])
            if parts & {"protected_material_text", "protected_material_code"}
            else None
        )
        return Analysis(
            categories=self._categories(scores, index, parts),
            jailbreak=self._jailbreak(scores, index, parts),
            indirect_attack=self._indirect(scores, index, parts),
            protected_material_text=self._protected_text(text, parts, fingerprint),
            protected_material_code=self._protected_code(text, parts, fingerprint),
            blocklist_matches=match_blocklists_normalized(normalized, blocklists),
            profanity=detect_profanity_normalized(normalized[True])
            if "profanity" in parts
            else None,
            language=languages[index],
            model_version=getattr(self.model, "model_version", None),
        )

    def _categories(
        self, scores: _ModelScores, index: int, parts: frozenset[str]
    ) -> dict[str, CategoryResult]:
        if scores.texts is None or "categories" not in parts:
            return {}
        return {
            category: CategoryResult(
                score=float(scores.texts[category][index]),
                severity=int(scores.severities[category][index]),
            )
            for category in CATEGORIES
        }

    def _jailbreak(
        self, scores: _ModelScores, index: int, parts: frozenset[str]
    ) -> Detection | None:
        if scores.texts is None or "jailbreak" not in parts:
            return None
        return Detection(
            score=float(scores.texts["attack"][index]),
            detected=bool(scores.attack_detected[index]),
        )

    def _indirect(
        self, scores: _ModelScores, index: int, parts: frozenset[str]
    ) -> tuple[Detection, ...] | None:
        if scores.texts is None or "indirect_attack" not in parts:
            return None
        return tuple(Detection(score, detected) for score, detected in scores.documents[index])

    def _protected_text(
        self, text: str, parts: frozenset[str], fingerprint: Fingerprint | None
    ) -> ProtectedTextResult | None:
        if "protected_material_text" not in parts:
            return None
        match = self.protected_index.detect(text, "text", fingerprint)
        return match.as_text_result() if match else ProtectedTextResult(detected=False)

    def _protected_code(
        self, text: str, parts: frozenset[str], fingerprint: Fingerprint | None
    ) -> ProtectedCodeResult | None:
        if "protected_material_code" not in parts:
            return None
        match = self.protected_index.detect(text, "code", fingerprint)
        return match.as_code_result() if match else ProtectedCodeResult(detected=False)


def match_blocklists(
    text: str, blocklists: Iterable[CompiledBlocklist]
) -> tuple[BlocklistMatch, ...]:
    """All matches of several lists, normalising the text once per normalisation setting."""
    blocklists = list(blocklists)
    normalized = {leet: normalize(text, leet=leet) for leet in {b.leet for b in blocklists}}
    return match_blocklists_normalized(normalized, blocklists)


def match_blocklists_normalized(
    normalized: dict[bool, NormalizedText], blocklists: Iterable[CompiledBlocklist]
) -> tuple[BlocklistMatch, ...]:
    matches: list[BlocklistMatch] = []
    for blocklist in blocklists:
        matches += blocklist.match_normalized(normalized[blocklist.leet])
    return tuple(matches)
