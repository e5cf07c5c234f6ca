"""Streamed completions through the official clients: checked chunks in default mode, tokens at
once with a trailing signal in asynchronous mode, and the offending text never sent by default.
"""

import httpx
import openai
import pytest

from guardsite.runtime import gateway_filtering
from tests.runtime.test_gateway_fixtures import *  # noqa: F403 - the shared fixtures
from tests.runtime.test_gateway_fixtures import (
    CALM,
    CALM_2,
    JAILBREAK,
    LONG_CALM,
    make_filter,
    wait_for_events,
)

pytestmark = pytest.mark.django_db(transaction=True)

STRICT_VIOLENCE = {"completion_violence": "low"}


def user(text):
    return [{"role": "user", "content": text}]


def collect(stream):
    """(chunks, {choice index: text}, {choice index: finish_reason}) of a streamed completion."""
    chunks, texts, finishes = [], {}, {}
    for chunk in stream:
        chunks.append(chunk)
        for choice in chunk.choices:
            delta = getattr(choice, "delta", None)
            content = getattr(delta, "content", None) if delta is not None else None
            if content:
                texts[choice.index] = texts.get(choice.index, "") + content
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    return chunks, texts, finishes


def annotated(chunks, index=0):
    return [
        choice
        for chunk in chunks
        for choice in chunk.choices
        if choice.index == index and getattr(choice, "content_filter_offsets", None)
    ]


def test_streaming_passes_in_checked_chunks_with_offsets(azure_client, scripted):
    stream = azure_client.chat.completions.create(
        model="chat", messages=user("Write a long calm stream of text"), stream=True
    )
    chunks, texts, finishes = collect(stream)

    first = chunks[0]
    assert first.choices == []
    assert first.prompt_filter_results[0]["content_filter_results"]["violence"] == {
        "filtered": False,
        "severity": "safe",
    }
    assert texts == {0: LONG_CALM * 3}
    assert finishes == {0: "stop"}
    checked = annotated(chunks)
    # Released in several checked chunks, each about the text it carries, end to end.
    assert len(checked) >= 3
    position = 0
    for choice in checked:
        offsets = choice.content_filter_offsets
        assert offsets["start_offset"] == position
        assert (
            offsets["end_offset"] == offsets["check_offset"] == position + len(choice.delta.content)
        )
        assert choice.content_filter_results["violence"]["filtered"] is False
        position = offsets["end_offset"]
    assert position == len(LONG_CALM * 3)
    # Word-sized upstream tokens were buffered: fewer content chunks than upstream events.
    assert len(checked) < len((LONG_CALM * 3).split())


def test_streaming_violation_ends_with_content_filter_and_never_sends_the_offending_text(
    openai_client, acme, owner, deployment
):
    deployment.content_filter = make_filter(acme, owner, "strict", STRICT_VIOLENCE)
    deployment.save()

    stream = openai_client.chat.completions.create(
        model="chat", messages=user("Please stream the hospital story"), stream=True
    )
    chunks, texts, finishes = collect(stream)

    assert finishes == {0: "content_filter"}
    received = texts.get(0, "")
    assert received.startswith("Here is a short guide to a relaxing weekend.")
    assert "explode" not in received
    assert "explosives" not in received
    assert "Stay safe." not in received
    last = annotated(chunks)[-1]
    assert last.finish_reason == "content_filter"
    assert last.content_filter_results["violence"]["filtered"] is True
    assert last.content_filter_offsets["start_offset"] == len(received)


def test_streaming_with_n_three_filters_only_the_offending_choice(openai_client):
    stream = openai_client.chat.completions.create(
        model="chat", messages=user("Suggest three weekend plans"), n=3, stream=True
    )
    _, texts, finishes = collect(stream)

    assert finishes == {0: "stop", 1: "content_filter", 2: "stop"}
    assert texts[0] == CALM
    assert texts[2] == CALM_2
    assert "explosives" not in texts.get(1, "")


def test_asynchronous_mode_streams_at_once_and_signals_within_a_thousand_characters(
    openai_client, approved_acme, owner, deployment
):
    deployment.content_filter = make_filter(
        approved_acme, owner, "async", {**STRICT_VIOLENCE, "streaming_mode": "asynchronous"}
    )
    deployment.save()

    stream = openai_client.chat.completions.create(
        model="chat", messages=user("Please stream the hospital story"), stream=True
    )
    chunks, texts, finishes = collect(stream)

    received = texts[0]
    assert finishes == {0: "content_filter"}
    # Tokens flowed before the check: the violation itself reached the client...
    assert "explode" in received
    violation_at = received.index("Let's call")
    # ...and the filtered signal followed within about 1,000 characters of it.
    assert len(received) - violation_at <= 1000
    [signal] = [c for c in annotated(chunks) if c.finish_reason == "content_filter"]
    assert signal.content_filter_results["violence"]["filtered"] is True
    # Token chunks carry no annotations in this mode; annotation events carry no text.
    assert all(getattr(c, "delta", None) is None for c in annotated(chunks))


def test_asynchronous_mode_without_approval_falls_back_to_buffered(
    openai_client, approved_acme, owner, deployment
):
    deployment.content_filter = make_filter(
        approved_acme, owner, "async", {**STRICT_VIOLENCE, "streaming_mode": "asynchronous"}
    )
    deployment.save()
    approved_acme.modified_content_filters_approved = False
    approved_acme.save()

    stream = openai_client.chat.completions.create(
        model="chat", messages=user("Please stream the hospital story"), stream=True
    )
    _, texts, finishes = collect(stream)

    assert finishes == {0: "content_filter"}
    assert "explode" not in texts.get(0, "")


def test_streamed_prompt_that_is_filtered_is_a_400_before_any_event(openai_client, scripted):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model="chat", messages=user(JAILBREAK), stream=True)

    assert caught.value.response.json()["error"]["code"] == "content_filter"
    assert scripted.requests == []


def test_streaming_with_upstream_down_is_a_502_not_a_broken_stream(openai_client, scripted):
    scripted.stop()

    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.chat.completions.create(model="chat", messages=user("hi"), stream=True)

    assert caught.value.status_code == 502


def test_streaming_with_the_filter_down_still_streams_with_content_filter_error(
    openai_client, monkeypatch
):
    class BrokenModel:
        model_version = "broken"

        def score(self, texts):
            raise RuntimeError("classifier down")

    monkeypatch.setattr(gateway_filtering.classification, "harm_model", lambda: BrokenModel())

    stream = openai_client.chat.completions.create(
        model="chat", messages=user("Write a long calm stream of text"), stream=True
    )
    chunks, texts, finishes = collect(stream)

    assert texts == {0: LONG_CALM * 3}
    assert finishes == {0: "stop"}
    assert all(
        choice.content_filter_results["error"]["code"] == "content_filter_error"
        for choice in annotated(chunks)
    )


def test_stream_ends_with_done_and_records_prompt_and_completion(
    live_server, acme, acme_key, deployment, eager_recording
):
    with httpx.stream(
        "POST",
        f"{live_server.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {acme_key}"},
        json={"model": "chat", "messages": user("Weather?"), "stream": True},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]

    assert lines[-1] == "data: [DONE]"
    events = wait_for_events(2, resource=acme)
    assert sorted(event.direction for event in events) == ["completion", "prompt"]
    completion = next(event for event in events if event.direction == "completion")
    assert completion.content == CALM
    assert completion.filtered is False
