"""Review builders; the personas (Rita, Maya, Mona, Nils, Bree) come from tests/review_support.py.
Bree is Rita's colleague for claim races."""

import pytest
from review_support import colleague as colleague
from review_support import eea_manager as eea_manager
from review_support import eea_reviewer as eea_reviewer
from review_support import non_eea_reviewer as non_eea_reviewer
from review_support import second_manager as second_manager

from guardsite.engine.types import CATEGORIES
from review.models import ClassificationEvent, FlaggedItem


def analysis_for(category="hate", severity=6, attack=False, score=0.95):
    return {
        "categories": {
            name: {
                "score": score if name == category else 0.01,
                "severity": severity if name == category else 0,
            }
            for name in CATEGORIES
        },
        "jailbreak": {"score": 0.97 if attack else 0.01, "detected": attack},
        "indirect_attack": None,
        "protected_material_text": None,
        "protected_material_code": None,
        "blocklist_matches": [],
        "profanity": None,
        "language": "en",
        "model_version": "test",
    }


def make_event(
    resource,
    *,
    content="I will hurt them all",
    category="hate",
    severity=6,
    attack=False,
    direction="prompt",
    filtered=None,
    documents=None,
):
    stored = None if resource.modified_abuse_monitoring_approved else content
    return ClassificationEvent.objects.create(
        resource=resource,
        direction=direction,
        content=stored,
        documents=documents if stored is not None else None,
        filter_config={},
        status=ClassificationEvent.Status.CLASSIFIED,
        analysis=analysis_for(category, severity, attack),
        decision={},
        filtered=severity >= 4 if filtered is None else filtered,
    )


def make_item(resource, *, stage=FlaggedItem.Stage.HUMAN, severity=6, priority=1.0, **event_kw):
    event = make_event(resource, severity=severity, **event_kw)
    return FlaggedItem.objects.create(
        resource=resource,
        event=event,
        direction=event.direction,
        category=event_kw.get("category", "hate"),
        severity=severity,
        labels={event_kw.get("category", "hate"): severity},
        priority=priority,
        stage=stage,
    )


@pytest.fixture
def item(acme):
    return make_item(acme)


@pytest.fixture
def new_item():
    """new_item(resource, **options) -> a flagged item (default: in the human queue)."""
    return make_item


@pytest.fixture
def new_event():
    return make_event


@pytest.fixture
def analysis():
    """analysis(category, severity, attack) -> a stored analysis dictionary."""
    return analysis_for


@pytest.fixture
def eager_tasks():
    from guardsite.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = old
