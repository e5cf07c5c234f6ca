"""The per-resource abuse score (docs/abuse-score.md explains the formula and its constants).

Plain functions over flagged-item signals (time, severity, attack), so the score is reproducible
from the stored components and testable without the database.
"""

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from guardsite.engine.types import MAX_SEVERITY
from guardsite.models import Resource

from .models import FlaggedItem

FREQUENCY_WEIGHT = 2.0
SEVERITY_WEIGHT = 3.0
INTENT_WEIGHT = 2.0
TREND_GAIN = 0.5
TREND_CAP = 2.0


@dataclass(frozen=True)
class Signal:
    at: datetime
    severity: int  # 0..7
    attack: bool


@dataclass(frozen=True)
class AbuseScore:
    score: float
    frequency: float
    severity: float
    intentionality: float
    trend_multiplier: float
    decayed_count: float
    decayed_attacks: float
    recent_count: int
    baseline_per_day: float
    window_days: int
    half_life_hours: float
    items: int

    def components(self) -> dict:
        return asdict(self)


def window_days() -> int:
    return int(getattr(settings, "GUARDSITE_ABUSE_WINDOW_DAYS", 7))


def half_life_hours() -> float:
    return float(getattr(settings, "GUARDSITE_ABUSE_HALF_LIFE_HOURS", 24.0))


def case_threshold() -> float:
    return float(getattr(settings, "GUARDSITE_ABUSE_CASE_THRESHOLD", 10.0))


def score_signals(signals: Iterable[Signal], now: datetime) -> AbuseScore:
    days = window_days()
    half_life = half_life_hours()
    decayed = attacks = severity_mass = 0.0
    recent = older = items = 0
    for signal in signals:
        age_hours = max(0.0, (now - signal.at).total_seconds() / 3600)
        if age_hours > days * 24:
            continue
        items += 1
        weight = 0.5 ** (age_hours / half_life)
        decayed += weight
        severity_mass += weight * (min(signal.severity, MAX_SEVERITY) / MAX_SEVERITY) ** 2
        if signal.attack:
            attacks += weight
        if age_hours <= 24:
            recent += 1
        else:
            older += 1
    frequency = FREQUENCY_WEIGHT * math.log1p(decayed)
    severity = SEVERITY_WEIGHT * severity_mass
    # One attack is an incident; recurring attacks show intent, so only the ones after the first
    # count.
    intentionality = INTENT_WEIGHT * max(0.0, attacks - 1.0)
    baseline = older / max(1, days - 1)
    ratio = (recent + 1) / (baseline + 1)
    trend = min(TREND_CAP, max(1.0, 1.0 + TREND_GAIN * math.log2(ratio)))
    return AbuseScore(
        score=round((frequency + severity + intentionality) * trend, 4),
        frequency=round(frequency, 4),
        severity=round(severity, 4),
        intentionality=round(intentionality, 4),
        trend_multiplier=round(trend, 4),
        decayed_count=round(decayed, 4),
        decayed_attacks=round(attacks, 4),
        recent_count=recent,
        baseline_per_day=round(baseline, 4),
        window_days=days,
        half_life_hours=half_life,
        items=items,
    )


def resource_abuse_score(resource: Resource, now: datetime | None = None) -> AbuseScore:
    """The score over the window's flags; dismissed items (not abusive) do not count."""
    now = now or timezone.now()
    rows = (
        FlaggedItem.objects.filter(
            resource=resource, created_at__gte=now - timedelta(days=window_days())
        )
        .exclude(status=FlaggedItem.Status.DISMISSED)
        .values_list("created_at", "severity", "reviewed_severity", "attack_detected")
    )
    return score_signals(
        (
            Signal(at, reviewed if reviewed is not None else severity, attack)
            for at, severity, reviewed, attack in rows.iterator()
        ),
        now,
    )
