"""The result of analysing one text, independent of any filter configuration.

An ``Analysis`` says what the models and matchers found; ``decision.decide`` turns it into what a
given filter does about it. Analyses are stored and travel through Celery, so every type here
round-trips through plain JSON-compatible dictionaries (``to_dict`` / ``from_dict``).

``None`` on an optional part means "not analysed" (the model was not asked for), which is
different from "analysed and nothing found".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("hate", "sexual", "violence", "self_harm")
SEVERITY_LEVELS = ("safe", "low", "medium", "high")
MAX_SEVERITY = 7


def severity_level(severity: int) -> str:
    """The four-level bucket name of a 0..7 severity: 0-1 safe, 2-3 low, 4-5 medium, 6-7 high."""
    return SEVERITY_LEVELS[_clamp_severity(severity) // 2]


def four_level_severity(severity: int) -> int:
    """The 0/2/4/6 value the Content Safety API reports for ``FourSeverityLevels``."""
    return _clamp_severity(severity) // 2 * 2


def _clamp_severity(severity: int) -> int:
    return max(0, min(MAX_SEVERITY, int(severity)))


@dataclass(frozen=True)
class CategoryResult:
    score: float
    severity: int

    @property
    def level(self) -> str:
        return severity_level(self.severity)

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "severity": self.severity}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoryResult:
        return cls(score=float(data["score"]), severity=int(data["severity"]))


@dataclass(frozen=True)
class Detection:
    """A binary model's verdict: jailbreak on a prompt, or indirect attack in one document."""

    score: float
    detected: bool

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "detected": self.detected}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Detection:
        return cls(score=float(data["score"]), detected=bool(data["detected"]))


@dataclass(frozen=True)
class ProtectedWork:
    id: str
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProtectedWork:
        return cls(id=str(data["id"]), title=str(data["title"]))


@dataclass(frozen=True)
class CodeCitation:
    url: str | None
    license: str | None

    def to_dict(self) -> dict[str, Any]:
        # Capital "URL" is the wire name in chat-completions annotations; keeping it here means
        # stored analyses and annotations agree.
        return {"URL": self.url, "license": self.license}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodeCitation:
        return cls(url=data.get("URL"), license=data.get("license"))


@dataclass(frozen=True)
class ProtectedTextResult:
    detected: bool
    work: ProtectedWork | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"detected": self.detected, "work": self.work.to_dict() if self.work else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProtectedTextResult:
        work = data.get("work")
        return cls(
            detected=bool(data["detected"]), work=ProtectedWork.from_dict(work) if work else None
        )


@dataclass(frozen=True)
class ProtectedCodeResult:
    detected: bool
    citation: CodeCitation | None = None

    def to_dict(self) -> dict[str, Any]:
        citation = self.citation.to_dict() if self.citation else None
        return {"detected": self.detected, "citation": citation}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProtectedCodeResult:
        citation = data.get("citation")
        return cls(
            detected=bool(data["detected"]),
            citation=CodeCitation.from_dict(citation) if citation else None,
        )


@dataclass(frozen=True)
class BlocklistMatch:
    """One hit of a blocklist item. ``start``/``end`` index the ORIGINAL text (end exclusive)."""

    blocklist_id: str
    blocklist_name: str
    item_id: str
    item_text: str
    matched_text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "blocklist_id": self.blocklist_id,
            "blocklist_name": self.blocklist_name,
            "item_id": self.item_id,
            "item_text": self.item_text,
            "matched_text": self.matched_text,
            "start": self.start,
            "end": self.end,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlocklistMatch:
        return cls(
            blocklist_id=str(data["blocklist_id"]),
            blocklist_name=str(data["blocklist_name"]),
            item_id=str(data["item_id"]),
            item_text=str(data["item_text"]),
            matched_text=str(data["matched_text"]),
            start=int(data["start"]),
            end=int(data["end"]),
        )


@dataclass(frozen=True)
class ProfanityResult:
    detected: bool
    matches: tuple[BlocklistMatch, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"detected": self.detected, "matches": [m.to_dict() for m in self.matches]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProfanityResult:
        matches = tuple(BlocklistMatch.from_dict(m) for m in data.get("matches", ()))
        return cls(detected=bool(data["detected"]), matches=matches)


@dataclass(frozen=True)
class Analysis:
    """Everything found in one text (a prompt or a completion)."""

    categories: dict[str, CategoryResult] = field(default_factory=dict)
    jailbreak: Detection | None = None
    # One entry per document, in order; None when documents were not analysed.
    indirect_attack: tuple[Detection, ...] | None = None
    protected_material_text: ProtectedTextResult | None = None
    protected_material_code: ProtectedCodeResult | None = None
    blocklist_matches: tuple[BlocklistMatch, ...] = ()
    profanity: ProfanityResult | None = None
    language: str | None = None
    model_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "categories": {name: result.to_dict() for name, result in self.categories.items()},
            "jailbreak": _dict_or_none(self.jailbreak),
            "indirect_attack": (
                None
                if self.indirect_attack is None
                else [detection.to_dict() for detection in self.indirect_attack]
            ),
            "protected_material_text": _dict_or_none(self.protected_material_text),
            "protected_material_code": _dict_or_none(self.protected_material_code),
            "blocklist_matches": [match.to_dict() for match in self.blocklist_matches],
            "profanity": _dict_or_none(self.profanity),
            "language": self.language,
            "model_version": self.model_version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        indirect = data.get("indirect_attack")
        return cls(
            categories={
                name: CategoryResult.from_dict(result)
                for name, result in (data.get("categories") or {}).items()
            },
            jailbreak=_from_dict_or_none(Detection, data.get("jailbreak")),
            indirect_attack=(
                None if indirect is None else tuple(Detection.from_dict(d) for d in indirect)
            ),
            protected_material_text=_from_dict_or_none(
                ProtectedTextResult, data.get("protected_material_text")
            ),
            protected_material_code=_from_dict_or_none(
                ProtectedCodeResult, data.get("protected_material_code")
            ),
            blocklist_matches=tuple(
                BlocklistMatch.from_dict(m) for m in data.get("blocklist_matches") or ()
            ),
            profanity=_from_dict_or_none(ProfanityResult, data.get("profanity")),
            language=data.get("language"),
            model_version=data.get("model_version"),
        )


def _dict_or_none(value: Any) -> dict[str, Any] | None:
    return None if value is None else value.to_dict()


def _from_dict_or_none(kind: Any, data: dict[str, Any] | None) -> Any:
    return None if data is None else kind.from_dict(data)
