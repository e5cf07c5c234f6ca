"""Streamed completions (``stream: true``) with the content filter in the loop.

Default mode buffers each choice's upstream tokens and releases them in checked chunks: once about
``check_chars`` characters are waiting, the text up to the last sentence end is checked (together
with up to ``CONTEXT_CHARS`` of already released text, so a term or a threat split across two
chunks is still seen whole) and released only if it passes. A violation ends that choice with
``finish_reason: content_filter``; the offending chunk is never sent. Asynchronous mode (a filter
setting that needs an approved resource) forwards tokens at once and checks every
``ASYNC_CHECK_CHARS`` characters, so the filtered signal trails the violation by at most about
that many characters (the compatible service promises about 1,000).

Offsets count characters of the choice's completion text. ``check_offset`` is how far the text is
fully moderated (it never decreases); ``start_offset``/``end_offset`` bound the text an annotation
is about.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http.response import HttpResponseBase

from deployments.models import Deployment
from guardsite.models import Resource

from . import upstream
from .gateway import (
    Flavor,
    RecordingStreamingResponse,
    completion_event,
    prompt_annotations,
    upstream_error,
)
from .gateway_filtering import Checked, Checker, Policy

logger = logging.getLogger(__name__)

CONTEXT_CHARS = 1000
ASYNC_CHECK_CHARS = 400
# Text this long without a sentence end is released at its last space instead.
_FORCE_FACTOR = 3
_SENTENCE_END = re.compile(r"[.!?;:\n][\"')\]]*(?=\s)|\n")
_META_KEYS = ("id", "object", "created", "model", "system_fingerprint")


def check_chars() -> int:
    return int(getattr(settings, "GUARDSITE_STREAM_CHECK_CHARS", 100))


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def stream_response(
    *,
    flavor: Flavor,
    resource: Resource,
    deployment: Deployment,
    policy: Policy,
    checker: Checker,
    prompt_check: Checked,
    upstream_body: dict[str, Any],
    events: list[dict],
) -> HttpResponseBase:
    try:
        # Opened before answering, so that an unreachable upstream is a plain 502, not a
        # stream that breaks after its first event.
        stream = upstream.open_stream(deployment, flavor.path, upstream_body)
    except upstream.UpstreamError as exc:
        return upstream_error(exc, events)
    # Asynchronous filtering needs approval; without it (say, revoked since the filter was
    # saved) the safe default mode applies.
    asynchronous = (
        policy.streaming_mode == "asynchronous" and resource.modified_content_filters_approved
    )
    relay = Relay(flavor, resource, deployment, policy, prompt_check, events, asynchronous)
    relay.checker = checker
    response = RecordingStreamingResponse(
        relay.run(stream), events=events, content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # tell a fronting nginx not to buffer the stream
    return response


@dataclass
class ChoiceState:
    index: int
    text: str = ""
    released: int = 0  # characters sent to the client
    checked: int = 0  # characters covered by a check (== released in default mode)
    done: bool = False
    decisive: Checked | None = None  # the check that filtered it, or the last one


@dataclass
class Relay:
    flavor: Flavor
    resource: Resource
    deployment: Deployment
    policy: Policy
    prompt_check: Checked
    events: list[dict]
    asynchronous: bool
    choices: dict[int, ChoiceState] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    checker: Checker | None = None  # prepared on the first check, reused for the whole stream

    def run(self, stream: upstream.UpstreamStream) -> Iterator[bytes]:
        trailing: list[dict] = []  # usage chunks, sent after every choice has finished
        try:
            yield sse(
                {
                    "id": "",
                    "object": "",
                    "created": 0,
                    "model": "",
                    "prompt_filter_results": prompt_annotations(self.prompt_check),
                    "choices": [],
                    "usage": None,
                }
            )
            try:
                for chunk in stream.events():
                    self._remember_meta(chunk)
                    choices = chunk.get("choices")
                    if not choices:
                        if chunk.get("usage"):
                            trailing.append(chunk)
                        continue
                    for choice in choices:
                        if isinstance(choice, dict):
                            yield from self._on_choice(choice)
                    if self.choices and all(state.done for state in self.choices.values()):
                        break  # every choice was filtered: stop reading the upstream
            except upstream.UpstreamError as exc:
                error = {"message": exc.message, "type": "upstream_error", "code": exc.code}
                yield b"event: error\n" + sse({"error": error})
            # An upstream that ended without a finish chunk still gets its tail checked.
            for state in self.choices.values():
                if not state.done:
                    yield from self._finish(state, None)
            for chunk in trailing:
                yield sse(chunk)
            yield b"data: [DONE]\n\n"
        finally:
            stream.close()
            for state in self.choices.values():
                self._record(state)

    # --- one upstream choice fragment -----------------------------------------------------------

    def _on_choice(self, choice: dict) -> Iterator[bytes]:
        index = choice.get("index", 0)
        state = self.choices.setdefault(index, ChoiceState(index))
        if state.done:
            return
        text = self.flavor.text_of(choice)
        extra = self._extra_delta(choice)
        if extra is not None:
            # Role and tool-call fragments carry no text to check; they go out as they come.
            yield sse(self._chunk({"index": index, "delta": extra, "finish_reason": None}))
        state.text += text
        if self.asynchronous:
            if text:
                yield sse(self._chunk({"index": index, **self.flavor.delta(text)}))
                state.released = len(state.text)
            if len(state.text) - state.checked >= ASYNC_CHECK_CHARS:
                yield from self._async_check(state, len(state.text), final=False)
        else:
            yield from self._release_ready(state, final=False)
        if choice.get("finish_reason") and not state.done:
            yield from self._finish(state, choice)

    def _finish(self, state: ChoiceState, choice: dict | None) -> Iterator[bytes]:
        if self.asynchronous:
            if len(state.text) > state.checked or state.decisive is None:
                yield from self._async_check(state, len(state.text), final=True)
        else:
            yield from self._release_ready(state, final=True)
        if state.done:
            return  # filtered on its last chunk
        state.done = True
        if choice is not None:
            finish: dict[str, Any] = {
                "index": state.index,
                "finish_reason": choice.get("finish_reason"),
            }
            if self.flavor.path == "/chat/completions":
                finish["delta"] = {}
            else:
                finish["text"] = ""
            if choice.get("logprobs") is not None:
                finish["logprobs"] = choice["logprobs"]
            yield sse(self._chunk(finish))

    # --- default mode: buffered, checked before release -----------------------------------------

    def _release_ready(self, state: ChoiceState, *, final: bool) -> Iterator[bytes]:
        while not state.done:
            end = self._release_point(state, final)
            if end is None:
                return
            checked = self._check(state, end)
            offsets = self._offsets(state.released, end, end)
            if checked.filtered:
                state.done = True
                yield sse(self._violation(state.index, checked, offsets))
                return
            piece = state.text[state.released : end]
            state.released = state.checked = end
            yield sse(
                self._chunk(
                    {
                        "index": state.index,
                        "finish_reason": None,
                        **self.flavor.delta(piece),
                        "content_filter_results": checked.annotations,
                        "content_filter_offsets": offsets,
                    }
                )
            )
            if final and state.released >= len(state.text):
                return

    def _release_point(self, state: ChoiceState, final: bool) -> int | None:
        pending = state.text[state.released :]
        if final:
            # The end of a choice is always checked, even an empty one, so it has an annotation.
            if pending or state.decisive is None:
                return len(state.text)
            return None
        size = check_chars()
        if len(pending) < size:
            return None
        ends = [match.end() for match in _SENTENCE_END.finditer(pending)]
        if ends:
            return state.released + ends[-1]
        if len(pending) >= size * _FORCE_FACTOR:
            space = pending.rfind(" ")
            return state.released + (space + 1 if space > 0 else len(pending))
        return None

    # --- asynchronous mode: forwarded at once, checked alongside ----------------------------------

    def _async_check(self, state: ChoiceState, end: int, *, final: bool) -> Iterator[bytes]:
        checked = self._check(state, end)
        offsets = self._offsets(state.checked, end, end)
        state.checked = end
        if checked.filtered:
            state.done = True
            yield sse(self._annotation(state.index, checked, offsets, "content_filter"))
        else:
            yield sse(self._annotation(state.index, checked, offsets, None))

    # --- shared ----------------------------------------------------------------------------------

    def _check(self, state: ChoiceState, end: int) -> Checked:
        start = max(0, min(state.checked, state.released) - CONTEXT_CHARS)
        if self.checker is None:
            self.checker = Checker(self.policy, self.resource, "completion")
        [checked] = self.checker.check([state.text[start:end]])
        if checked.filtered or state.decisive is None or not state.decisive.filtered:
            state.decisive = checked
        return checked

    @staticmethod
    def _offsets(start: int, end: int, check: int) -> dict[str, int]:
        return {"check_offset": check, "start_offset": start, "end_offset": end}

    def _violation(self, index: int, checked: Checked, offsets: dict) -> dict:
        choice = {
            "index": index,
            "finish_reason": "content_filter",
            **self.flavor.delta(""),
            "content_filter_results": checked.annotations,
            "content_filter_offsets": offsets,
        }
        if self.flavor.path == "/chat/completions":
            choice["delta"] = {}
        return self._chunk(choice)

    @staticmethod
    def _annotation(index: int, checked: Checked, offsets: dict, finish: str | None) -> dict:
        return {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [
                {
                    "index": index,
                    "finish_reason": finish,
                    "content_filter_results": checked.annotations,
                    "content_filter_offsets": offsets,
                }
            ],
            "usage": None,
        }

    def _chunk(self, choice: dict) -> dict:
        return {**self.meta, "choices": [choice]}

    def _remember_meta(self, chunk: dict) -> None:
        if not self.meta and chunk.get("id"):
            self.meta = {key: chunk[key] for key in _META_KEYS if key in chunk}

    def _extra_delta(self, choice: dict) -> dict | None:
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return None
        extra = {key: value for key, value in delta.items() if key != "content"}
        return extra or None

    def _record(self, state: ChoiceState) -> None:
        decisive = state.decisive or Checked(state.text)
        # The whole generated text is recorded (also the part withheld), with the decisive check.
        recorded = Checked(state.text, decisive.analysis, decisive.decision)
        self.events.append(completion_event(self.resource, self.deployment, self.policy, recorded))
