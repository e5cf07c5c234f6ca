"""A scripted OpenAI-compatible model server, for demos, tests and benchmarks of the gateway.

It answers ``POST .../chat/completions`` and ``POST .../completions`` (any path prefix, so a
deployment's upstream URL may end in ``/v1`` or not) from a JSON script, with ``n`` choices and
``stream: true`` server-sent events::

    {
      "default": "Hello from the scripted upstream.",
      "chunk_chars": 0,            // streaming: 0 streams word by word, N streams N characters
      "delay_ms": 0,               // streaming: pause before each chunk
      "latency_ms": 0,             // pause before answering at all (both modes)
      "api_key": null,             // when set, requests must send "Authorization: Bearer KEY"
      "rules": [
        {"contains": "weather", "reply": "It is sunny."},
        {"regex": "(?i)^tell (me )?a story", "replies": ["Once...", "Long ago..."]},
        {"contains": "slow", "reply": "...", "delay_ms": 50, "chunk_chars": 4, "latency_ms": 200},
        {"contains": "explode", "status": 500, "error": "Scripted failure"}
      ]
    }

Rules are tried in order against the last user message (the prompt for legacy completions):
``contains`` is a case-insensitive substring, ``regex`` a Python regular expression searched in
it. ``replies`` gives one text per choice (choice ``i`` gets item ``i`` modulo the length).
Run it with ``python manage.py scripted_upstream --port 8001 --script script.json``, or in a test
with ``ScriptedUpstream(script).start()`` on port 0. It imports nothing from Django.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_REPLY = "Hello from the scripted upstream."
_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass
class Rule:
    contains: str | None = None
    regex: re.Pattern[str] | None = None
    replies: list[str] = field(default_factory=list)
    chunk_chars: int | None = None
    delay_ms: float | None = None
    latency_ms: float = 0.0
    status: int | None = None
    error: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        unknown = set(data) - {
            "contains", "regex", "reply", "replies", "chunk_chars", "delay_ms", "latency_ms",
            "status", "error",
        }  # fmt: skip
        if unknown:
            raise ValueError(f"unknown rule keys: {', '.join(sorted(unknown))}")
        replies = data.get("replies")
        if replies is None:
            replies = [data.get("reply", DEFAULT_REPLY)]
        if (
            not isinstance(replies, list)
            or not replies
            or not all(isinstance(reply, str) for reply in replies)
        ):
            raise ValueError("replies must be a non-empty list of strings")
        return cls(
            contains=data.get("contains"),
            regex=re.compile(data["regex"]) if data.get("regex") else None,
            replies=replies,
            chunk_chars=data.get("chunk_chars"),
            delay_ms=data.get("delay_ms"),
            latency_ms=float(data.get("latency_ms", 0)),
            status=data.get("status"),
            error=data.get("error"),
        )

    def matches(self, text: str) -> bool:
        if self.contains is not None and self.contains.lower() not in text.lower():
            return False
        return self.regex is None or bool(self.regex.search(text))


@dataclass
class Script:
    rules: list[Rule] = field(default_factory=list)
    default: str = DEFAULT_REPLY
    chunk_chars: int = 0
    delay_ms: float = 0.0
    api_key: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any] | list[Any]) -> Script:
        if isinstance(data, list):
            data = {"rules": data}
        return cls(
            rules=[Rule.from_dict(rule) for rule in data.get("rules", [])],
            default=data.get("default", DEFAULT_REPLY),
            chunk_chars=int(data.get("chunk_chars", 0)),
            delay_ms=float(data.get("delay_ms", 0)),
            api_key=data.get("api_key"),
        )

    @classmethod
    def load(cls, path: str) -> Script:
        with open(path, encoding="utf-8") as handle:
            return cls.from_data(json.load(handle))

    def rule_for(self, text: str) -> Rule:
        for rule in self.rules:
            if rule.matches(text):
                return rule
        return Rule(replies=[self.default])


def split_chunks(text: str, chunk_chars: int) -> list[str]:
    if chunk_chars > 0:
        return [text[i : i + chunk_chars] for i in range(0, len(text), chunk_chars)] or [""]
    return _WORDS.findall(text) or [""]


def _last_user_text(body: dict[str, Any]) -> str:
    if "messages" not in body:
        prompt = body.get("prompt", "")
        return prompt[-1] if isinstance(prompt, list) and prompt else str(prompt or "")
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def _tokens(text: str) -> int:
    return len(text.split())


class ScriptedUpstream:
    """The server; ``requests`` holds every decoded request body, in order."""

    def __init__(self, script: Script | dict | list | None = None, host: str = "127.0.0.1",
                 port: int = 0):  # fmt: skip
        if not isinstance(script, Script):
            script = Script.from_data(script or {})
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server = _QuietServer((host, port), _handler_for(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def start(self) -> ScriptedUpstream:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> ScriptedUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self.server.serve_forever()

    # --- answering ---------------------------------------------------------------------------

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """(status, JSON body or a list of SSE event payloads with their delay)."""
        with self._lock:
            self.requests.append(body)
            number = next(self._ids)
        chat = path.rstrip("/").endswith("/chat/completions")
        n = body.get("n", 1)
        if not isinstance(n, int) or not 1 <= n <= 128:
            return 400, _error("n must be an integer from 1 to 128.", "invalid_value")
        rule = self.script.rule_for(_last_user_text(body))
        if rule.latency_ms:
            time.sleep(rule.latency_ms / 1000)
        if rule.status:
            return rule.status, _error(rule.error or "Scripted error.", "scripted_error")
        texts = [rule.replies[index % len(rule.replies)] for index in range(n)]
        model = body.get("model") or "scripted"
        completion_id = f"{'chatcmpl' if chat else 'cmpl'}-scripted-{number}"
        created = int(time.time())
        prompt_tokens = _tokens(_last_user_text(body))
        completion_tokens = sum(_tokens(text) for text in texts)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if body.get("stream"):
            chunk_chars = self.script.chunk_chars if rule.chunk_chars is None else rule.chunk_chars
            delay = self.script.delay_ms if rule.delay_ms is None else rule.delay_ms
            events = _stream_events(completion_id, created, model, texts, chat, chunk_chars)
            if (body.get("stream_options") or {}).get("include_usage"):
                meta = {"id": completion_id, "object": _chunk_object(chat), "created": created}
                events.append({**meta, "model": model, "choices": [], "usage": usage})
            return 200, (events, delay / 1000)
        choices = [
            {
                "index": index,
                **(
                    {"message": {"role": "assistant", "content": text, "refusal": None}}
                    if chat
                    else {"text": text}
                ),
                "logprobs": None,
                "finish_reason": "stop",
            }
            for index, text in enumerate(texts)
        ]
        return 200, {
            "id": completion_id,
            "object": "chat.completion" if chat else "text_completion",
            "created": created,
            "model": model,
            "choices": choices,
            "usage": usage,
            "system_fingerprint": None,
        }


def _chunk_object(chat: bool) -> str:
    return "chat.completion.chunk" if chat else "text_completion"


def _stream_events(
    completion_id: str, created: int, model: str, texts: list[str], chat: bool, chunk_chars: int
) -> list[dict[str, Any]]:
    meta = {"id": completion_id, "object": _chunk_object(chat), "created": created, "model": model}

    def piece(index: int, text: str | None, finish: str | None = None, role: bool = False):
        if chat:
            delta: dict[str, Any] = {"role": "assistant", "content": ""} if role else {}
            if text is not None:
                delta["content"] = text
            return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {"index": index, "text": text or "", "logprobs": None, "finish_reason": finish}

    events = []
    if chat:
        events += [{**meta, "choices": [piece(i, "", role=True)]} for i in range(len(texts))]
    chunked = [split_chunks(text, chunk_chars) for text in texts]
    # Choices interleave, as a real server's do with n > 1.
    for position in range(max(len(chunks) for chunks in chunked)):
        for index, chunks in enumerate(chunked):
            if position < len(chunks):
                events.append({**meta, "choices": [piece(index, chunks[position])]})
    events += [{**meta, "choices": [piece(i, None, "stop")]} for i in range(len(texts))]
    return events


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": None,
                      "code": code}}  # fmt: skip


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing its kept-alive connection is normal, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(upstream: ScriptedUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real model server
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm
        # and delayed ACKs add ~40 ms to every answer on loopback.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests and benchmarks call it thousands of times

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [
                    {"id": "scripted", "object": "model", "created": 0, "owned_by": "guardsite"}
                ]})  # fmt: skip
            else:
                self._json(404, _error("Not found.", "not_found"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            if not path.rstrip("/").endswith("/completions"):
                self._json(404, _error("Not found.", "not_found"))
                return
            key = upstream.script.api_key
            if key and self.headers.get("Authorization") != f"Bearer {key}":
                self._json(401, _error("Incorrect API key provided.", "invalid_api_key"))
                return
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._json(400, _error("Body is not JSON.", "invalid_json"))
                return
            if not isinstance(body, dict):
                self._json(400, _error("Body must be an object.", "invalid_json"))
                return
            status, answer = upstream.answer(path, body)
            if isinstance(answer, tuple):
                self._stream(*answer)
            else:
                self._json(status, answer)

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, events: list[dict[str, Any]], delay: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for event in events:
                    if delay:
                        time.sleep(delay)
                    self._chunk(b"data: " + json.dumps(event).encode() + b"\n\n")
                self._chunk(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the gateway stopped reading: fine

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler
