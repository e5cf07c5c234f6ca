"""text:analyze through the official azure-ai-contentsafety client against a live server."""

import pytest
from azure.ai.contentsafety.models import (
    AddOrUpdateTextBlocklistItemsOptions,
    AnalyzeTextOptions,
    AnalyzeTextOutputType,
    TextBlocklist,
    TextBlocklistItem,
    TextCategory,
)
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from guardsite.classification import harm_model
from guardsite.engine.analyzer import Analyzer
from review.models import ClassificationEvent
from tests.runtime.conftest import wait_for_events

# Violence 3 on the eight-level scale with the shipped model: four levels report it as 2.
ODD_SEVERITY_TEXT = "Those people are disgusting animals."
WIRE = {"Hate": "hate", "SelfHarm": "self_harm", "Sexual": "sexual", "Violence": "violence"}


def engine_severities(text: str) -> dict[str, int]:
    analysis = Analyzer(harm_model()).analyze(text, "prompt", want={"categories"})
    return {wire: analysis.categories[name].severity for wire, name in WIRE.items()}


def by_category(result) -> dict[str, int]:
    return {item.category: item.severity for item in result.categories_analysis}


def test_analyze_reports_four_severity_levels_by_default(cs_client):
    expected = engine_severities(ODD_SEVERITY_TEXT)
    assert any(severity % 2 for severity in expected.values()), "test text lost its odd severity"

    result = cs_client.analyze_text(AnalyzeTextOptions(text=ODD_SEVERITY_TEXT))

    assert [item.category for item in result.categories_analysis] == list(WIRE)
    assert by_category(result) == {wire: value // 2 * 2 for wire, value in expected.items()}
    assert result.blocklists_match == []


def test_analyze_reports_eight_severity_levels_on_request(cs_client):
    expected = engine_severities(ODD_SEVERITY_TEXT)

    result = cs_client.analyze_text(
        AnalyzeTextOptions(
            text=ODD_SEVERITY_TEXT, output_type=AnalyzeTextOutputType.EIGHT_SEVERITY_LEVELS
        )
    )

    assert by_category(result) == expected


def test_harmful_text_gets_a_high_severity_and_harmless_text_zero(cs_client):
    harmful = by_category(cs_client.analyze_text(AnalyzeTextOptions(text="I want to stab him.")))
    harmless = by_category(
        cs_client.analyze_text(AnalyzeTextOptions(text="We had tea in the garden today."))
    )

    assert harmful["Violence"] >= 4
    assert set(harmless.values()) == {0}


def test_analyze_returns_only_the_requested_categories(cs_client):
    result = cs_client.analyze_text(
        AnalyzeTextOptions(text="hello", categories=[TextCategory.HATE, TextCategory.SELF_HARM])
    )

    assert [item.category for item in result.categories_analysis] == ["Hate", "SelfHarm"]


def test_analyze_matches_the_resources_blocklists(cs_client, blocklist_client):
    blocklist_client.create_or_update_text_blocklist(
        "banned", TextBlocklist(blocklist_name="banned", description="")
    )
    [item] = blocklist_client.add_or_update_blocklist_items(
        "banned",
        AddOrUpdateTextBlocklistItemsOptions(blocklist_items=[TextBlocklistItem(text="zorblax")]),
    ).blocklist_items

    text = "Buy ZORBLAX now, I want to stab him."
    result = cs_client.analyze_text(AnalyzeTextOptions(text=text, blocklist_names=["banned"]))

    [match] = result.blocklists_match
    assert (match.blocklist_name, match.blocklist_item_id, match.blocklist_item_text) == (
        "banned",
        item.blocklist_item_id,
        "zorblax",
    )
    # Without haltOnBlocklistHit the harm analysis still runs.
    assert by_category(result) == {k: v // 2 * 2 for k, v in engine_severities(text).items()}


def test_halt_on_blocklist_hit_skips_harm_analysis(cs_client, blocklist_client):
    blocklist_client.create_or_update_text_blocklist(
        "banned", TextBlocklist(blocklist_name="banned")
    )
    blocklist_client.add_or_update_blocklist_items(
        "banned",
        AddOrUpdateTextBlocklistItemsOptions(blocklist_items=[TextBlocklistItem(text="zorblax")]),
    )

    hit = cs_client.analyze_text(
        AnalyzeTextOptions(
            text="zorblax, stab him", blocklist_names=["banned"], halt_on_blocklist_hit=True
        )
    )
    miss = cs_client.analyze_text(
        AnalyzeTextOptions(text="stab him", blocklist_names=["banned"], halt_on_blocklist_hit=True)
    )

    assert len(hit.blocklists_match) == 1 and hit.categories_analysis == []
    assert miss.blocklists_match == [] and len(miss.categories_analysis) == 4


def test_analyze_can_use_the_builtin_profanity_list(cs_client, builtin_profanity):
    result = cs_client.analyze_text(
        AnalyzeTextOptions(text="what the fuck is this", blocklist_names=["Profanity"])
    )

    assert [match.blocklist_name for match in result.blocklists_match] == ["Profanity"]


def test_another_resources_blocklist_is_not_found(cs_client, globex):
    from django.contrib.auth.models import AnonymousUser

    from blocklists.actions import create_blocklist

    create_blocklist(globex, name="secret", acting_user=AnonymousUser())

    with pytest.raises(ResourceNotFoundError) as caught:
        cs_client.analyze_text(AnalyzeTextOptions(text="hi", blocklist_names=["secret"]))

    assert caught.value.error.code == "ResourceNotFound"
    assert "secret" in caught.value.error.message


def test_analyze_records_one_classified_event(cs_client, acme):
    cs_client.analyze_text(AnalyzeTextOptions(text="I want to stab him."))

    [event] = wait_for_events(acme, 1)
    assert event.direction == "prompt"
    assert event.content == "I want to stab him."
    assert event.status == ClassificationEvent.Status.CLASSIFIED
    assert event.analysis["categories"]["violence"]["severity"] >= 4
    assert event.filtered is True  # violence at medium or above: the default threshold


def test_modified_abuse_monitoring_drops_the_content_of_recorded_events(cs_client, acme):
    acme.modified_abuse_monitoring_approved = True
    acme.save()

    cs_client.analyze_text(AnalyzeTextOptions(text="I want to stab him."))

    [event] = wait_for_events(acme, 1)
    assert event.content is None
    assert event.analysis["categories"]["violence"]["severity"] >= 4


def test_text_of_10001_code_points_is_refused_precisely(cs_client, acme):
    # Astral characters: 10,001 code points are 20,002 UTF-16 units; the limit counts code points.
    with pytest.raises(HttpResponseError) as caught:
        cs_client.analyze_text(AnalyzeTextOptions(text="😀" * 10_001))

    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidRequestBody"
    assert caught.value.error.message == (
        "text has 10,001 characters (Unicode code points); at most 10,000 are allowed."
    )
    assert ClassificationEvent.objects.filter(resource=acme).count() == 0


def test_text_of_10000_code_points_is_analysed(cs_client):
    result = cs_client.analyze_text(AnalyzeTextOptions(text="😀" * 10_000))

    assert len(result.categories_analysis) == 4
