import json

import pytest

from guardsite.engine.types import (
    Analysis,
    BlocklistMatch,
    CategoryResult,
    CodeCitation,
    Detection,
    ProfanityResult,
    ProtectedCodeResult,
    ProtectedTextResult,
    ProtectedWork,
    four_level_severity,
    severity_level,
)


@pytest.mark.parametrize(
    ("severity", "level", "four_level"),
    [
        (0, "safe", 0),
        (1, "safe", 0),
        (2, "low", 2),
        (3, "low", 2),
        (4, "medium", 4),
        (5, "medium", 4),
        (6, "high", 6),
        (7, "high", 6),
    ],
)
def test_severity_buckets(severity, level, four_level):
    assert severity_level(severity) == level
    assert four_level_severity(severity) == four_level
    assert CategoryResult(0.5, severity).level == level


def test_full_analysis_survives_a_json_round_trip():
    match = BlocklistMatch("b1", "rivals", "i1", "widget", "WIDGET", 4, 10)
    analysis = Analysis(
        categories={"hate": CategoryResult(0.71, 5), "self_harm": CategoryResult(0.01, 0)},
        jailbreak=Detection(0.93, True),
        indirect_attack=(Detection(0.1, False), Detection(0.8, True)),
        protected_material_text=ProtectedTextResult(True, ProtectedWork("w1", "Song")),
        protected_material_code=ProtectedCodeResult(True, CodeCitation("https://x.org", "MIT")),
        blocklist_matches=(match,),
        profanity=ProfanityResult(True, (match,)),
        language="en",
        model_version="harm-2025.1",
    )

    restored = Analysis.from_dict(json.loads(json.dumps(analysis.to_dict())))

    assert restored == analysis


def test_not_analysed_parts_stay_distinct_from_nothing_found():
    not_run = Analysis.from_dict(json.loads(json.dumps(Analysis().to_dict())))
    no_documents = Analysis.from_dict(Analysis(indirect_attack=()).to_dict())

    assert not_run.indirect_attack is None
    assert not_run.jailbreak is None
    assert no_documents.indirect_attack == ()


def test_code_citation_uses_the_wire_name_url():
    assert CodeCitation("https://x.org", "MIT").to_dict() == {
        "URL": "https://x.org",
        "license": "MIT",
    }
