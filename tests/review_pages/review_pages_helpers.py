"""Builders shared by the review page tests (imported by name: this directory is on sys.path)."""

from django.utils import timezone

from guardsite.engine.types import CATEGORIES
from review.models import ClassificationEvent, FlaggedItem

SECRET = "Zq7 unmistakable flagged words kept behind the grant"


def analysis_for(category="hate", severity=6):
    return {
        "categories": {
            name: {
                "score": 0.95 if name == category else 0.01,
                "severity": severity * (name == category),
            }
            for name in CATEGORIES
        },
        "jailbreak": {"score": 0.01, "detected": False},
        "indirect_attack": None,
        "language": "en",
        "model_version": "test",
    }


def make_item(resource, *, severity=6, category="hate", priority=1.0, case=None, created_at=None):
    event = ClassificationEvent.objects.create(
        resource=resource,
        direction="prompt",
        content=None if resource.modified_abuse_monitoring_approved else SECRET,
        filter_config={},
        status=ClassificationEvent.Status.CLASSIFIED,
        analysis=analysis_for(category, severity),
        decision={},
        filtered=True,
    )
    return FlaggedItem.objects.create(
        resource=resource,
        event=event,
        case=case,
        direction="prompt",
        category=category,
        severity=severity,
        labels={category: severity},
        priority=priority,
        stage=FlaggedItem.Stage.HUMAN,
        created_at=created_at or timezone.now(),
    )
