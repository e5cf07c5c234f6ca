"""The shared machinery of the fake upstream servers: a JSON HTTP server in a background thread.

A fake binds 127.0.0.1 on a free port, records every request it receives (so tests can assert on
the shape of what a client sent) and can be told to misbehave on the next requests: answer with an
error status and body, answer slowly, or answer with a body that is not JSON.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: Any  # decoded JSON, or the raw text when it was not JSON

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Reply:
    """What to send back: a status, a JSON body (or raw bytes), extra headers."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # A scripted delay only: after it, the request is answered by its route as usual.
    passthrough: bool = False
    # Server-sent events: each item is one event's bytes, sent in its own HTTP chunk.
    events: list[bytes] | None = None
    event_delay: float = 0.0


class ApiError(Exception):
    """Raised by a route to answer with an error body in the upstream's shape."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


Route = Callable[[RecordedRequest], Reply]


class FakeServer:
    """Subclasses fill ``routes`` ((method, path) -> handler) and ``error_reply``."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.routes: dict[tuple[str, str], Route] = {}
        # Scripted answers for coming requests: (path or None for any path, reply).
        self._faults: list[tuple[str | None, Reply]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real upstreams do

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval keeps stop() (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` with no trailing slash."""
        assert self._server is not None, "the fake server is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- scripting faults ------------------------------------------------------------------

    def fail_next(self, status: int, code: str, message: str, times: int = 1) -> None:
        """The next ``times`` requests get this error, in the upstream's error shape."""
        for _ in range(times):
            self._queue(self._error(status, code, message))

    def slow_next(self, seconds: float, times: int = 1) -> None:
        """The next requests are answered normally, but only after ``seconds``."""
        for _ in range(times):
            self._queue(Reply(delay=seconds, passthrough=True))

    def malformed_next(self, raw: bytes = b"{not json", status: int = 200) -> None:
        self._queue(Reply(status, raw=raw, headers={"Content-Type": "application/json"}))

    def reply_next(self, body: Any, status: int = 200, path: str | None = None) -> None:
        """The next request (to ``path``, if given) gets exactly this JSON body."""
        self._queue(Reply(status, body), path)

    def _queue(self, reply: Reply, path: str | None = None) -> None:
        with self._lock:
            self._faults.append((path, reply))

    # --- upstream-specific -----------------------------------------------------------------

    def error_body(self, code: str, message: str) -> dict[str, Any]:
        return {"error": {"code": code, "message": message}}

    def error_headers(self, code: str) -> dict[str, str]:
        return {}

    # --- request handling ------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        request = self._record(handler, method)
        with self._lock:
            fault = self._take_fault(request.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is None or fault.passthrough:
            reply = self._dispatch(request)
            if reply.delay:
                time.sleep(reply.delay)
        else:
            reply = fault
        self._send(handler, reply)

    def _take_fault(self, path: str) -> Reply | None:
        """The first scripted answer for this path (called with the lock held)."""
        for index, (fault_path, reply) in enumerate(self._faults):
            if fault_path is None or fault_path == path:
                del self._faults[index]
                return reply
        return None

    def _record(self, handler: BaseHTTPRequestHandler, method: str) -> RecordedRequest:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = RecordedRequest(
            method=method,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={name.lower(): value for name, value in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(request)
        return request

    def _dispatch(self, request: RecordedRequest) -> Reply:
        route = self.routes.get((request.method, request.path))
        if route is None:
            known = {path for _, path in self.routes}
            status = 405 if request.path in known else 404
            return self._error(status, "NotFound", f"No route for {request.method} {request.path}")
        try:
            return route(request)
        except ApiError as error:
            return self._error(error.status, error.code, error.message)

    def _error(self, status: int, code: str, message: str) -> Reply:
        return Reply(status, self.error_body(code, message), headers=self.error_headers(code))

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.events is not None:
            self._send_events(handler, reply)
            return
        payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        headers = {"Content-Type": "application/json", **reply.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _send_events(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        assert reply.events is not None
        handler.send_response(reply.status)
        headers = {
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            **reply.headers,
        }
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for event in reply.events:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            handler.wfile.flush()
            if reply.event_delay:
                time.sleep(reply.event_delay)
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()


def json_body(request: RecordedRequest) -> dict[str, Any]:
    """The request's JSON object, or a 400 in the upstream's shape."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(400, "InvalidRequestBody", "Content-Type must be application/json.")
    if not isinstance(request.body, dict):
        raise ApiError(400, "InvalidRequestBody", "The request body must be a JSON object.")
    return request.body


class OpenAIStyleServer(FakeServer):
    """Bearer-key auth and ``{"error": {"message", "type", "param", "code"}}`` error bodies."""

    def __init__(self, api_key: str | None):
        super().__init__()
        self.api_key = api_key

    def error_body(self, code: str, message: str) -> dict[str, Any]:
        # OpenAI's "type" for the codes the fakes use; everything else is a request error.
        types = {"rate_limit_exceeded": "requests", "server_error": "server_error"}
        error_type = types.get(code, "invalid_request_error")
        return {"error": {"message": message, "type": error_type, "param": None, "code": code}}

    def check_auth(self, request: RecordedRequest) -> None:
        if self.api_key is None:
            return
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            raise ApiError(401, "invalid_api_key", "Incorrect API key provided.")
