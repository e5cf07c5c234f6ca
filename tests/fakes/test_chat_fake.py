"""The scripted chat-completions fake itself: rules, ``n`` choices and SSE streaming."""

import json
import re

import httpx
import pytest

from tests.fakes.guard_model import FakeChatCompletions


@pytest.fixture
def upstream():
    with FakeChatCompletions(
        rules=[
            ("weather", ["Sunny.", "Rainy."]),
            (re.compile(r"\bcount\b"), lambda body, index: f"choice {index}"),
        ],
        default_reply="Hello there, friend.",
    ) as server:
        yield server


def chat(upstream, content, **extra):
    body = {"model": "any-model", "messages": [{"role": "user", "content": content}], **extra}
    return httpx.post(f"{upstream.base_url}/chat/completions", json=body, timeout=5)


def test_rules_answer_in_order_and_fall_back_to_the_default(upstream):
    assert chat(upstream, "weather?").json()["choices"][0]["message"]["content"] == "Sunny."
    assert chat(upstream, "hi").json()["choices"][0]["message"]["content"] == "Hello there, friend."


def test_n_choices_take_successive_replies(upstream):
    response = chat(upstream, "weather?", n=3).json()
    assert [c["message"]["content"] for c in response["choices"]] == ["Sunny.", "Rainy.", "Sunny."]
    assert [c["index"] for c in response["choices"]] == [0, 1, 2]
    assert response["object"] == "chat.completion"


def test_streaming_sends_role_content_finish_and_done(upstream):
    with httpx.stream(
        "POST",
        f"{upstream.base_url}/chat/completions",
        json={
            "model": "m",
            "messages": [{"role": "user", "content": "count"}],
            "n": 2,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        timeout=5,
    ) as response:
        assert response.headers["content-type"] == "text/event-stream"
        lines = [line for line in response.iter_lines() if line]

    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    texts, finishes = {0: "", 1: ""}, {}
    for chunk in chunks:
        for choice in chunk["choices"]:
            texts[choice["index"]] += choice["delta"].get("content", "")
            if choice["finish_reason"]:
                finishes[choice["index"]] = choice["finish_reason"]
    assert texts == {0: "choice 0", 1: "choice 1"}
    assert finishes == {0: "stop", 1: "stop"}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 4


def test_bad_requests_get_openai_style_errors(upstream):
    response = httpx.post(
        f"{upstream.base_url}/chat/completions", json={"model": "m", "messages": []}, timeout=5
    )
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
