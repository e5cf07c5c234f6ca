"""Calls to a deployment's upstream OpenAI-compatible server.

One pooled httpx client per process: keeping connections alive to the upstream is most of what
makes the gateway cheap (a new TCP connection per call costs more than the rest of the proxying).
The timeout comes from the deployment. Every failure becomes an ``UpstreamError`` carrying the
status and code the gateway answers with, so the views never see an httpx exception.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from deployments.models import Deployment

# Pool sizes: the gateway runs in threaded workers; each in-flight call holds one connection.
_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=30)
_CONNECT_TIMEOUT = 5.0

_client: httpx.Client | None = None
_client_lock = threading.Lock()


@dataclass
class UpstreamError(Exception):
    status: int
    code: str
    message: str
    # The upstream's own error object, passed through for its 4xx answers (the caller's mistake).
    upstream_error: dict | None = None


def client() -> httpx.Client:
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = httpx.Client(limits=_LIMITS, follow_redirects=False, trust_env=False)
    return _client


def endpoint(deployment: Deployment, path: str) -> str:
    if not deployment.upstream_url:
        raise UpstreamError(
            502,
            "upstream_not_configured",
            f"Deployment '{deployment.name}' has no upstream URL configured.",
        )
    return deployment.upstream_url.rstrip("/") + path


def upstream_model(deployment: Deployment) -> str:
    return deployment.upstream_model or deployment.model_name


def _headers(deployment: Deployment) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if deployment.upstream_api_key:
        headers["Authorization"] = f"Bearer {deployment.upstream_api_key}"
    return headers


def _timeout(deployment: Deployment) -> httpx.Timeout:
    seconds = float(deployment.upstream_timeout_seconds or 60)
    return httpx.Timeout(seconds, connect=min(seconds, _CONNECT_TIMEOUT))


def post_json(deployment: Deployment, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a JSON body and return the decoded JSON answer, or raise UpstreamError."""
    request = client().build_request(
        "POST",
        endpoint(deployment, path),
        json=body,
        headers=_headers(deployment),
        timeout=_timeout(deployment),
    )
    try:
        response = client().send(request)
    except httpx.HTTPError as exc:
        raise _transport_error(deployment, exc) from exc
    _raise_for_status(deployment, response.status_code, response.content)
    try:
        data = response.json()
    except ValueError as exc:
        raise UpstreamError(
            502, "upstream_error", f"The upstream of '{deployment.name}' answered with non-JSON."
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        raise UpstreamError(
            502, "upstream_error", f"The upstream of '{deployment.name}' answered without choices."
        )
    return data


class UpstreamStream:
    """An open streamed response; iterate ``events()`` for the decoded ``data:`` payloads."""

    def __init__(self, deployment: Deployment, response: httpx.Response):
        self.deployment = deployment
        self.response = response

    def events(self) -> Iterator[dict[str, Any]]:
        """Decoded JSON events until ``[DONE]`` or the end of the body."""
        try:
            for line in self.response.iter_lines():
                if not line.startswith("data:"):
                    continue  # comments, event names, blank separators
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    event = json.loads(data)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    yield event
        except httpx.HTTPError as exc:
            raise _transport_error(self.deployment, exc) from exc

    def close(self) -> None:
        self.response.close()


def open_stream(deployment: Deployment, path: str, body: dict[str, Any]) -> UpstreamStream:
    """Send a streaming request and check its status before any byte reaches the caller."""
    request = client().build_request(
        "POST",
        endpoint(deployment, path),
        json=body,
        headers={**_headers(deployment), "Accept": "text/event-stream"},
        timeout=_timeout(deployment),
    )
    try:
        response = client().send(request, stream=True)
    except httpx.HTTPError as exc:
        raise _transport_error(deployment, exc) from exc
    if response.status_code >= 400:
        try:
            content = response.read()
        except httpx.HTTPError:
            content = b""
        finally:
            response.close()
        _raise_for_status(deployment, response.status_code, content)
    return UpstreamStream(deployment, response)


def _transport_error(deployment: Deployment, exc: httpx.HTTPError) -> UpstreamError:
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamError(
            504,
            "upstream_timeout",
            f"The upstream of deployment '{deployment.name}' did not answer within "
            f"{deployment.upstream_timeout_seconds} seconds.",
        )
    return UpstreamError(
        502,
        "upstream_unavailable",
        f"The upstream of deployment '{deployment.name}' could not be reached "
        f"({type(exc).__name__}).",
    )


def _raise_for_status(deployment: Deployment, status: int, content: bytes) -> None:
    if status < 400:
        return
    upstream_error = None
    try:
        decoded = json.loads(content)
        if isinstance(decoded, dict) and isinstance(decoded.get("error"), dict):
            upstream_error = decoded["error"]
    except ValueError:
        pass
    if 400 <= status < 500 and status not in (401, 403):
        # The request was wrong (a bad parameter): the caller should see the upstream's words.
        raise UpstreamError(status, "upstream_rejected", "", upstream_error=upstream_error)
    # Upstream auth failures and server errors are the operator's problem, not the caller's.
    raise UpstreamError(
        502,
        "upstream_error",
        f"The upstream of deployment '{deployment.name}' answered with HTTP {status}.",
    )
