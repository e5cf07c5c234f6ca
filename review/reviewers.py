"""Automated review: a pluggable second opinion on flagged items, with a confidence.

``settings.GUARDSITE_AUTOMATED_REVIEWER`` names the class (default: ``ModelSecondPassReviewer``,
the local model re-scoring the full text; ``LLMJudgeReviewer`` asks an OpenAI-compatible endpoint).
A reviewer returns a ``Verdict`` or raises ``ReviewUnavailable``. Items whose verdict is below
``GUARDSITE_AUTOMATED_REVIEW_MIN_CONFIDENCE``, or whose review is unavailable, go to the human
queue, except on resources with modified abuse monitoring, where no person reviews: their
automated verdict stands whatever its confidence, and an unavailable review is retried later.
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx
import numpy as np
from django.conf import settings
from django.utils.module_loading import import_string

from guardsite.engine.classifier import CATEGORIES, MAX_CHARS, HarmModel

from . import actions
from .access import content_for_automated_review, human_review_allowed
from .models import FlaggedItem

logger = logging.getLogger(__name__)

ABUSIVE_FROM = 4  # medium


class ReviewUnavailable(Exception):
    """The automated reviewer cannot decide now (endpoint down, bad answer, no input)."""


@dataclass(frozen=True)
class ReviewInput:
    item_id: str
    direction: str
    category: str
    severity: int
    labels: dict
    attack: bool
    analysis: dict
    text: str | None  # None under modified abuse monitoring or after the retention purge
    documents: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    abusive: bool
    category: str
    severity: int
    confidence: float  # 0..1
    reviewer: str
    explanation: str = ""


class AutomatedReviewer(Protocol):
    name: str

    def review(self, item: ReviewInput) -> Verdict: ...


def get_reviewer() -> AutomatedReviewer:
    path = getattr(
        settings, "GUARDSITE_AUTOMATED_REVIEWER", "review.reviewers.ModelSecondPassReviewer"
    )
    return import_string(path)()


def min_confidence() -> float:
    return float(getattr(settings, "GUARDSITE_AUTOMATED_REVIEW_MIN_CONFIDENCE", 0.8))


class ModelSecondPassReviewer:
    """Re-scores the whole text (every 4,000-character window, the first pass saw only the
    first) and the documents with the local model. Confidence combines the margin of the deciding
    score from its threshold with the agreement of the second pass with the first on severity.
    Without stored text it judges the recorded scores, at a discount."""

    name = "model-second-pass"

    def review(self, item: ReviewInput) -> Verdict:
        model = HarmModel.load()
        first = {
            name: int(result.get("severity", 0))
            for name, result in (item.analysis.get("categories") or {}).items()
        }
        if item.text:
            windows = [item.text[i : i + MAX_CHARS] for i in range(0, len(item.text), MAX_CHARS)]
            scores = model.score([*windows, *item.documents])
            probs = {head: float(np.max(values)) for head, values in scores.items()}
            discount = 1.0
        else:
            stored = item.analysis.get("categories") or {}
            if not stored:
                raise ReviewUnavailable("no text and no recorded scores to judge")
            probs = {name: float(result.get("score", 0.0)) for name, result in stored.items()}
            probs["attack"] = float((item.analysis.get("jailbreak") or {}).get("score", 0.0))
            discount = 0.85
        severities = {
            name: int(model.severity(name, np.asarray([probs.get(name, 0.0)]))[0])
            for name in CATEGORIES
        }
        category = max(CATEGORIES, key=lambda name: (severities[name], probs.get(name, 0.0)))
        severity = severities[category]
        boundary = float(model.severity_thresholds[category][ABUSIVE_FROM - 1])
        probability = probs.get(category, 0.0)
        abusive = severity >= ABUSIVE_FROM
        attack_probability = probs.get("attack", 0.0)
        if item.attack and attack_probability >= model.attack_threshold and not abusive:
            abusive, category = True, item.category
            probability, boundary = attack_probability, model.attack_threshold
        margin = _margin(probability, boundary)
        agreement = 1.0 - min(1.0, abs(severity - first.get(category, severity)) / 4)
        confidence = round(discount * (0.6 * margin + 0.4 * agreement), 4)
        return Verdict(
            abusive=abusive,
            category=category,
            severity=severity,
            confidence=confidence,
            reviewer=self.name,
            explanation=f"margin {margin:.2f}, agreement {agreement:.2f}",
        )


def _margin(probability: float, boundary: float) -> float:
    """How far the score is from the boundary, as a share of the room on its side (0..1)."""
    if probability >= boundary:
        return (probability - boundary) / max(1e-9, 1.0 - boundary)
    return (boundary - probability) / max(1e-9, boundary)


JUDGE_PROMPT = (
    "You review content flagged by a safety classifier. Categories: hate, sexual, violence, "
    "self_harm, jailbreak, indirect_attack. Severity is 0 (safe) to 7 (most severe). Answer with "
    'a JSON object only: {"abusive": bool, "category": str, "severity": int, "confidence": '
    'float between 0 and 1, "explanation": str}.'
)


class LLMJudgeReviewer:
    """An LLM judge on an OpenAI-compatible chat-completions endpoint, configured by
    ``GUARDSITE_LLM_JUDGE = {"base_url", "model", "api_key", "timeout"}``."""

    name = "llm-judge"

    def __init__(self, config: dict | None = None, transport: httpx.BaseTransport | None = None):
        self.config = config or getattr(settings, "GUARDSITE_LLM_JUDGE", {}) or {}
        self.transport = transport

    def review(self, item: ReviewInput) -> Verdict:
        base_url = self.config.get("base_url")
        if not base_url or not item.text:
            raise ReviewUnavailable("no judge configured, or no text to judge")
        user_message = (
            f"Classifier label: {item.category} at severity {item.severity} ({item.direction}).\n"
            f"Text:\n{item.text}"
        )
        try:
            with httpx.Client(
                base_url=base_url.rstrip("/"),
                timeout=float(self.config.get("timeout", 20)),
                transport=self.transport,
            ) as client:
                response = client.post(
                    "/chat/completions",
                    headers={"Authorization": f"Bearer {self.config.get('api_key', '')}"},
                    json={
                        "model": self.config.get("model", "judge"),
                        "temperature": 0,
                        "response_format": {"type": "json_object"},
                        "messages": [
                            {"role": "system", "content": JUDGE_PROMPT},
                            {"role": "user", "content": user_message},
                        ],
                    },
                )
                response.raise_for_status()
            answer = json.loads(response.json()["choices"][0]["message"]["content"])
            return Verdict(
                abusive=bool(answer["abusive"]),
                category=str(answer.get("category") or item.category),
                severity=max(0, min(7, int(answer.get("severity", item.severity)))),
                confidence=max(0.0, min(1.0, float(answer["confidence"]))),
                reviewer=f"{self.name}:{self.config.get('model', 'judge')}",
                explanation=str(answer.get("explanation", ""))[:400],
            )
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ReviewUnavailable(f"LLM judge failed: {exc}") from exc


def review_input(item: FlaggedItem) -> ReviewInput:
    content = content_for_automated_review(item)
    return ReviewInput(
        item_id=str(item.pk),
        direction=item.direction,
        category=item.category,
        severity=item.severity,
        labels=item.labels,
        attack=item.attack_detected,
        analysis=item.event.analysis or {},
        text=content.text,
        documents=tuple(content.documents or ()),
    )


def review_items(item_ids: Iterable[Any], reviewer: AutomatedReviewer | None = None) -> dict:
    """Automated review of items at the automated stage; returns counts by outcome."""
    reviewer = reviewer or get_reviewer()
    threshold = min_confidence()
    outcome = {"decided": 0, "to_human": 0, "unavailable": 0}
    items = FlaggedItem.objects.filter(
        pk__in=list(item_ids),
        status=FlaggedItem.Status.PENDING,
        stage=FlaggedItem.Stage.AUTOMATED,
    ).select_related("resource", "event")
    for item in items:
        humans_allowed = human_review_allowed(item.resource)
        try:
            verdict = reviewer.review(review_input(item))
        except ReviewUnavailable as exc:
            logger.warning("automated review unavailable for %s: %s", item.pk, exc)
            outcome["unavailable"] += 1
            if humans_allowed:
                actions.send_to_human_queue(item, reason=f"automated review unavailable: {exc}")
                outcome["to_human"] += 1
            continue
        if verdict.confidence >= threshold or not humans_allowed:
            actions.apply_automated_verdict(item, **_verdict_args(verdict))
            outcome["decided"] += 1
        else:
            actions.send_to_human_queue(
                item,
                reason=f"automated confidence {verdict.confidence:.2f} below {threshold:.2f}",
                verdict={
                    "verdict": "abusive" if verdict.abusive else "not_abusive",
                    **asdict(verdict),
                },
            )
            outcome["to_human"] += 1
    return outcome


def _verdict_args(verdict: Verdict) -> dict:
    return {
        "abusive": verdict.abusive,
        "category": verdict.category,
        "severity": verdict.severity,
        "confidence": verdict.confidence,
        "reviewer": verdict.reviewer,
        "explanation": verdict.explanation,
    }
