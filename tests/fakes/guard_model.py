"""A fake OpenAI-compatible chat-completions endpoint that answers from a script.

The script is a list of ``(match, reply)`` rules tried in order; the first whose ``match`` fits the
request answers it, else ``default_reply``. ``match`` is a substring of the last message's content
(case-insensitive), a compiled regular expression searched in it, or a callable given the whole
request body. ``reply`` is a string, a list of strings (choice ``i`` gets item ``i`` modulo its
length, for ``n > 1``), or a callable ``(body, choice_index) -> str``.

Served with the Llama Guard script (``llama_guard``) it behaves like a guard model: "safe", or
"unsafe" and a line of hazard codes. With other scripts it can stand in for any upstream chat
model, including ``n`` choices and ``stream: true`` server-sent events.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from tests.fakes.server import ApiError, OpenAIStyleServer, RecordedRequest, Reply, json_body

Match = str | re.Pattern[str] | Callable[[dict[str, Any]], bool]
ReplyText = str | Sequence[str] | Callable[[dict[str, Any], int], str]
Rule = tuple[Match, ReplyText]

ROLES = ("system", "developer", "user", "assistant", "tool")
GUARD_MODEL = "llama-guard-3-8b"

# Marker word -> Llama Guard 3 verdict, for the guard-model contract tests.
LLAMA_GUARD_RULES: list[Rule] = [
    ("hatemarker", "unsafe\nS10"),
    ("fightmarker", "unsafe\nS1"),
    ("weaponmarker", "unsafe\nS9"),
    ("sexmarker", "unsafe\nS12"),
    ("hurtmarker", "unsafe\nS11"),
    ("stealmarker", "unsafe\nS2"),
    ("mixedmarker", "unsafe\nS1,S10"),
]


def llama_guard_rules() -> list[Rule]:
    return list(LLAMA_GUARD_RULES)


class FakeChatCompletions(OpenAIStyleServer):
    def __init__(
        self,
        rules: Sequence[Rule] = (),
        default_reply: str = "safe",
        api_key: str | None = None,
        models: Sequence[str] | None = None,
        event_delay: float = 0.0,
    ):
        super().__init__(api_key)
        self.rules: list[Rule] = list(rules)
        self.default_reply = default_reply
        self.models = None if models is None else tuple(models)
        self.event_delay = event_delay
        self._ids = itertools.count(1)
        self.routes = {
            ("POST", "/v1/chat/completions"): self._chat,
            ("GET", "/v1/models"): self._models,
        }

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def add_rule(self, match: Match, reply: ReplyText) -> None:
        """Try this rule before the ones already scripted."""
        self.rules.insert(0, (match, reply))

    # --- routes ----------------------------------------------------------------------------

    def _models(self, request: RecordedRequest) -> Reply:
        self.check_auth(request)
        names = self.models or (GUARD_MODEL,)
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in names]
        return Reply(200, {"object": "list", "data": data})

    def _chat(self, request: RecordedRequest) -> Reply:
        self.check_auth(request)
        body = json_body(request)
        model = self._validated(body)
        n = body.get("n", 1)
        texts = [self._reply_text(body, index) for index in range(n)]
        completion_id = f"chatcmpl-fake-{next(self._ids)}"
        created = int(time.time())
        prompt_tokens = sum(_tokens(_content_text(m.get("content"))) for m in body["messages"])
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": sum(_tokens(t) for t in texts),
            "total_tokens": prompt_tokens + sum(_tokens(t) for t in texts),
        }
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = _stream_events(completion_id, created, model, texts, usage, include_usage)
            return Reply(200, events=events, event_delay=self.event_delay)
        choices = [
            {
                "index": index,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
            for index, text in enumerate(texts)
        ]
        return Reply(
            200,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": choices,
                "usage": usage,
                "system_fingerprint": None,
            },
        )

    # --- helpers ---------------------------------------------------------------------------

    def _validated(self, body: dict[str, Any]) -> str:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ApiError(400, "invalid_value", "model is required.")
        if self.models is not None and model not in self.models:
            raise ApiError(404, "model_not_found", f"The model `{model}` does not exist.")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ApiError(400, "invalid_value", "messages must be a non-empty array.")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                raise ApiError(400, "invalid_value", f"messages[{index}] has no valid role.")
            content = message.get("content")
            if content is not None and not isinstance(content, str | list):
                raise ApiError(
                    400, "invalid_type", f"messages[{index}].content must be a string or array."
                )
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
            raise ApiError(400, "invalid_value", "n must be an integer from 1 to 128.")
        if not isinstance(body.get("stream", False), bool):
            raise ApiError(400, "invalid_type", "stream must be a boolean.")
        return model

    def _reply_text(self, body: dict[str, Any], index: int) -> str:
        last = _content_text(body["messages"][-1].get("content"))
        for match, reply in self.rules:
            if _matches(match, body, last):
                if callable(reply):
                    return reply(body, index)
                if isinstance(reply, str):
                    return reply
                return reply[index % len(reply)]
        return self.default_reply


def _matches(match: Match, body: dict[str, Any], last: str) -> bool:
    if isinstance(match, str):
        return match.lower() in last.lower()
    if isinstance(match, re.Pattern):
        return match.search(last) is not None
    return bool(match(body))


def _content_text(content: Any) -> str:
    """A message's text: the string, or the text parts of a content array joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _tokens(text: str) -> int:
    return len(text.split())


_PIECES = re.compile(r"\s*\S+|\s+")


def _stream_events(
    completion_id: str,
    created: int,
    model: str,
    texts: list[str],
    usage: dict[str, int],
    include_usage: bool,
) -> list[bytes]:
    """The SSE events of a streamed completion: a role delta, word deltas, a finish, [DONE]."""

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": None,
            "choices": choices,
            **extra,
        }
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    def choice(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}

    usage_field = {"usage": None} if include_usage else {}
    events = []
    for index, text in enumerate(texts):
        events.append(chunk([choice(index, {"role": "assistant", "content": ""})], **usage_field))
        for piece in _PIECES.findall(text):
            events.append(chunk([choice(index, {"content": piece})], **usage_field))
        events.append(chunk([choice(index, {}, "stop")], **usage_field))
    if include_usage:
        events.append(chunk([], usage=usage))
    events.append(b"data: [DONE]\n\n")
    return events
