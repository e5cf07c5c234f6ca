"""Hostile input found by scripts/fuzz_runtime.py: each answered with a precise 4xx in its surface's
error shape, never a 500 and never a request the upstream (or the database) cannot take.
"""

import json

import pytest

from blocklists.models import Blocklist
from deployments.models import Deployment
from guardsite.runtime import gateway
from guardsite.runtime.gateway_filtering import Checked, Prompt, resolve_policy
from guardsite.runtime.scripted_upstream import ScriptedUpstream
from review.recording import store_events

ANALYZE = "/contentsafety/text:analyze?api-version=2024-09-01"
BLOCKLIST = "/contentsafety/text/blocklists/{}?api-version=2024-09-01"
CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
TEXT_PART = "messages[0].content[0].text"
OPENAI_ERROR_KEYS = {"message", "type", "param", "code"}


@pytest.fixture
def key(acme_keys):
    return acme_keys[0]


@pytest.fixture
def upstream():
    with ScriptedUpstream() as server:
        yield server


@pytest.fixture
def deployment(acme, upstream):
    return Deployment.objects.create(
        resource=acme, name="chat", model_name="gpt-4o", upstream_url=upstream.base_url
    )


def post(client, path, body, key, content_type="application/json", **headers):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(path, data, content_type=content_type, HTTP_API_KEY=key, **headers)


def azure_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["x-ms-error-code"] == code
    error = response.json()["error"]
    assert error["code"] == code
    return error


def openai_error(response, status):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == OPENAI_ERROR_KEYS
    return error


def user(content):
    return {"model": "chat", "messages": [{"role": "user", "content": content}]}


# --- Content Safety ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["\x00", "a\x00", "bad name", "abc\u202e", "abc\n"])
def test_analyze_refuses_a_blocklist_name_no_list_can_have(client, key, name):
    response = post(client, ANALYZE, {"text": "hi", "blocklistNames": ["Profanity", name]}, key)

    error = azure_error(response, 400, "InvalidResourceName")
    assert error["target"] == "blocklistNames[1]"


def test_a_blocklist_description_with_nul_is_400_and_creates_nothing(client, key):
    response = post(
        client,
        BLOCKLIST.format("notes"),
        {"description": "a\x00b"},
        key,
        content_type="application/merge-patch+json",
        REQUEST_METHOD="PATCH",
    )

    error = azure_error(response, 400, "InvalidRequestBody")
    assert error["target"] == "description"
    assert not Blocklist.objects.filter(name="notes").exists()


@pytest.mark.parametrize("name", ["abc%0A", "a.b-c%0A"])
def test_a_blocklist_name_with_a_trailing_newline_is_refused(client, acme, key, name):
    response = client.patch(
        BLOCKLIST.format(name), "{}", content_type="application/merge-patch+json", HTTP_API_KEY=key
    )

    azure_error(response, 400, "InvalidResourceName")
    assert not Blocklist.objects.filter(resource=acme).exists()


def test_moderations_with_a_nul_policy_name_is_invalid_policy(client, key):
    response = post(client, "/v1/moderations", {"input": "hi"}, key, HTTP_X_POLICY_ID="a\x00b")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidContentFilterPolicy"


# --- the gateway: bodies -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 5000 + b"1" + b"}" * 5000],
    ids=["deep-arrays", "deep-objects"],
)
def test_deeply_nested_json_is_invalid_json(client, key, deployment, raw):
    error = openai_error(post(client, CHAT, raw, key), 400)

    assert error["code"] == "invalid_json"


def test_nan_is_invalid_json_not_an_unencodable_upstream_request(client, key, deployment, upstream):
    raw = json.dumps(user("hi"))[:-1].encode() + b', "top_p": NaN}'

    error = openai_error(post(client, CHAT, raw, key), 400)

    assert error["code"] == "invalid_json"
    assert upstream.requests == []


def test_a_body_over_the_upload_limit_is_413_in_openai_shape(client, key, deployment, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    error = openai_error(post(client, CHAT, user("x" * 20_000), key), 413)

    assert error["code"] == "request_too_large"


def test_a_non_json_content_type_is_415(client, key, deployment, upstream):
    error = openai_error(post(client, CHAT, user("hi"), key, content_type="text/plain"), 415)

    assert error["code"] == "unsupported_media_type"
    assert upstream.requests == []


# --- the gateway: fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        (CHAT, user("\ud800"), "messages[0].content"),
        (CHAT, user('"""<documents>\udfff</documents>"""'), "messages[0].content"),
        (CHAT, user([{"type": "text", "text": "a\ud800"}]), "messages[0].content[0].text"),
        (CHAT, {**user("hi"), "user": "\ud800"}, "user"),
        (CHAT, {**user("hi"), "model": "\ud800"}, "model"),
        (COMPLETIONS, {"model": "chat", "prompt": "\ud800"}, "prompt"),
        (COMPLETIONS, {"model": "chat", "prompt": ["ok", "\udfff"]}, "prompt[1]"),
    ],
)
def test_a_lone_surrogate_anywhere_is_400_and_never_sent_upstream(
    client, key, deployment, upstream, path, body, param
):
    error = openai_error(post(client, path, body, key), 400)

    assert (error["code"], error["param"]) == ("invalid_value", param)
    assert "surrogate" in error["message"]
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("messages", "param"),
    [
        ([{"role": "user", "content": [{"type": "text", "text": 5}]}], TEXT_PART),
        ([{"role": "user", "content": [{"type": "text", "text": None}]}], TEXT_PART),
        ([{"role": "user", "content": [{"type": "text", "text": ["a"]}]}], TEXT_PART),
        ([{"role": "user", "content": [None]}], "messages[0].content[0]"),
        ([{"role": "user", "content": {"text": "hi"}}], "messages[0].content"),
        ([{"role": "user", "content": 5}], "messages[0].content"),
        (["hi"], "messages[0]"),
        ([{"content": "hi"}], "messages[0].role"),
    ],
)
def test_a_message_the_filter_cannot_read_is_refused(
    client, key, deployment, upstream, messages, param
):
    error = openai_error(post(client, CHAT, {"model": "chat", "messages": messages}, key), 400)

    assert (error["code"], error["param"]) == ("invalid_value", param)
    assert upstream.requests == []


@pytest.mark.parametrize("prompt", [[1, 2], [[1, 2]], ["a", None]])
def test_token_array_prompts_are_refused_not_passed_unfiltered(
    client, key, deployment, upstream, prompt
):
    error = openai_error(post(client, COMPLETIONS, {"model": "chat", "prompt": prompt}, key), 400)

    assert error["param"].startswith("prompt[")
    assert upstream.requests == []


@pytest.mark.parametrize("model", [["chat"], {"a": 1}, 5])
def test_a_model_that_is_not_a_string_is_400(client, key, deployment, model):
    error = openai_error(post(client, CHAT, {**user("hi"), "model": model}, key), 400)

    assert error["param"] == "model"


@pytest.mark.parametrize(
    "path", [CHAT, "/openai/deployments/a%00b/chat/completions?api-version=2024-10-21"]
)
def test_a_deployment_name_no_deployment_can_have_is_404(client, key, deployment, path):
    body = {**user("hi"), "model": "a\x00b"}

    error = openai_error(post(client, path, body, key), 404)

    assert error["code"] == "DeploymentNotFound"


def test_stream_options_that_is_not_an_object_is_400(client, key, deployment, upstream):
    body = {**user("hi"), "stream": True, "stream_options": "x"}

    error = openai_error(post(client, CHAT, body, key), 400)

    assert error["param"] == "stream_options"
    assert upstream.requests == []


def test_a_policy_name_with_nul_is_invalid_policy(client, key, deployment):
    response = post(client, CHAT, user("hi"), key, HTTP_X_POLICY_ID="a\x00b")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidContentFilterPolicy"


@pytest.mark.parametrize("path", ["/v1/nope", "/v1/chat/completions/", "/openai/deployments/x"])
def test_an_unknown_openai_route_is_404_in_openai_shape(client, key, path):
    error = openai_error(post(client, path, user("hi"), key), 404)

    assert error["code"] == "unknown_url"


# --- the gateway: recording ----------------------------------------------------------------


def test_a_prompt_with_nul_is_recorded_with_a_replacement_character(acme, deployment):
    policy = resolve_policy(acme, deployment)
    prompt = Prompt("a\x00b", ("doc\x00",))

    payload = gateway.prompt_event(acme, deployment, policy, prompt, Checked("a\x00b"))
    completion = gateway.completion_event(acme, deployment, policy, Checked("c\x00"))

    assert payload["content"] == "a\ufffdb"
    assert payload["documents"] == ["doc\ufffd"]
    assert completion["content"] == "c\ufffd"
    store_events([payload, completion])  # PostgreSQL refuses NUL in text: this would raise
