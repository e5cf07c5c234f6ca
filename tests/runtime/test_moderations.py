"""POST /v1/moderations through the official openai client against a live server."""

import httpx
import openai
import pytest

from filters.actions import FilterData, create_filter
from guardsite.runtime.moderations import KEYS
from tests.runtime.conftest import wait_for_events

VIOLENT = "I want to stab him."
CALM = "We had tea in the garden today."
# Sexual at medium (severity 4) with the shipped model: flagged by default, not at "high".
MEDIUM_SEXUAL = "They had sex all night."
UNMODELLED = {
    "harassment",
    "harassment/threatening",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual/minors",
    "violence/graphic",
}


@pytest.fixture
def openai_moderations(live_server, live_key):
    return openai.OpenAI(base_url=live_server.url + "/v1", api_key=live_key, max_retries=0)


def test_a_string_input_gets_one_result_with_the_thirteen_keys(openai_moderations):
    response = openai_moderations.moderations.create(input=VIOLENT)

    [result] = response.results
    assert response.id.startswith("modr-")
    assert response.model == "omni-moderation-latest"
    assert result.flagged is True
    assert set(result.categories.model_dump(by_alias=True)) == set(KEYS)
    assert result.categories.violence is True
    assert result.category_scores.violence > 0.5
    assert result.category_applied_input_types.violence == ["text"]


def test_a_list_input_gets_one_result_per_entry_in_order(openai_moderations):
    response = openai_moderations.moderations.create(
        model="text-moderation-stable", input=[CALM, VIOLENT]
    )

    assert response.model == "text-moderation-stable"
    assert [result.flagged for result in response.results] == [False, True]
    assert not any(response.results[0].categories.model_dump().values())


def test_keys_without_a_guardsite_model_are_false_and_zero(openai_moderations):
    [result] = openai_moderations.moderations.create(input=VIOLENT).results

    categories = result.categories.model_dump(by_alias=True)
    scores = result.category_scores.model_dump(by_alias=True)
    assert {key for key in UNMODELLED if categories[key] or scores[key]} == set()
    assert scores["self-harm"] >= 0.0 and "self-harm" not in UNMODELLED


def test_flagged_follows_the_filter_named_by_x_policy_id(openai_moderations, acme, owner):
    create_filter(
        acme,
        FilterData(name="lenient", settings={"prompt_sexual": "high"}, attachments=[]),
        acting_user=owner,
    )

    default = openai_moderations.moderations.create(input=MEDIUM_SEXUAL).results[0]
    lenient = openai_moderations.moderations.create(
        input=MEDIUM_SEXUAL, extra_headers={"x-policy-id": "lenient"}
    ).results[0]

    assert default.flagged is True and default.categories.sexual is True
    assert lenient.flagged is False and lenient.categories.sexual is False
    assert lenient.category_scores.sexual == default.category_scores.sexual


def test_an_unknown_policy_is_refused_in_the_openai_shape(openai_moderations):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_moderations.moderations.create(
            input=CALM, extra_headers={"x-policy-id": "no-such-filter"}
        )

    assert caught.value.code == "InvalidContentFilterPolicy"
    assert "invalid content filter policy" in caught.value.message


def test_another_resources_filter_is_an_unknown_policy(openai_moderations, globex, outsider):
    create_filter(
        globex, FilterData(name="theirs", settings={}, attachments=[]), acting_user=outsider
    )

    with pytest.raises(openai.BadRequestError):
        openai_moderations.moderations.create(input=CALM, extra_headers={"x-policy-id": "theirs"})


def test_an_invalid_key_is_401_invalid_api_key(live_server):
    client = openai.OpenAI(base_url=live_server.url + "/v1", api_key="wrong", max_retries=0)

    with pytest.raises(openai.AuthenticationError) as caught:
        client.moderations.create(input=CALM)

    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"


def test_the_api_key_header_works_too(live_server, live_key):
    response = httpx.post(
        f"{live_server.url}/v1/moderations", headers={"api-key": live_key}, json={"input": CALM}
    )

    assert response.status_code == 200
    assert response.json()["results"][0]["flagged"] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "input is required: a string or an array of strings."),
        ({"input": 5}, "input must be a string or an array of strings, not a number."),
        ({"input": []}, "input must not be an empty array."),
        ({"input": ["ok", {"type": "image_url"}]}, "input[1] must be a string, not an object"),
        ({"input": "x" * 10_001}, "input has 10,001 characters"),
        ({"input": "ok", "model": 3}, "model must be a non-empty string."),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(live_server, live_key, body, message):
    response = httpx.post(
        f"{live_server.url}/v1/moderations",
        headers={"Authorization": f"Bearer {live_key}"},
        json=body,
    )

    error = response.json()["error"]
    assert response.status_code == 400
    assert error["message"].startswith(message)
    assert error["type"] == "invalid_request_error"
    assert error["param"] in {"input", "model"}


def test_malformed_json_is_a_400_in_the_openai_shape(live_server, live_key):
    response = httpx.post(
        f"{live_server.url}/v1/moderations",
        headers={"Authorization": f"Bearer {live_key}", "Content-Type": "application/json"},
        content=b'{"input": "unterminated',
    )

    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert "not valid JSON" in response.json()["error"]["message"]


def test_get_is_not_allowed(live_server, live_key):
    response = httpx.get(
        f"{live_server.url}/v1/moderations", headers={"Authorization": f"Bearer {live_key}"}
    )

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_each_input_is_recorded_as_an_event(openai_moderations, acme):
    openai_moderations.moderations.create(input=[CALM, VIOLENT])

    events = wait_for_events(acme, 2)
    assert sorted(event.content for event in events) == sorted([CALM, VIOLENT])
    assert {event.content: event.filtered for event in events} == {CALM: False, VIOLENT: True}
