"""The chat-completions gateway: OpenAI- and Azure-style routes in front of a deployment's upstream.

A call is authenticated to a resource, resolved to one of its deployments, checked against the
content filter (the deployment's, the built-in default, or the one named by ``x-policy-id``),
proxied upstream only when the prompt passes, and answered with the content-filter annotations of
compat-api.md section 2. Streaming is in ``streaming.py``.

Every call records one event per prompt and per choice. They are handed to the broker when the
response is closed, after the client has its answer, so recording never delays it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import db
from django.conf import settings
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from deployments.models import Deployment
from guardsite.models import Resource
from review.recording import event_payload, record_events

from . import upstream
from .auth import RuntimeAccessError, authenticate
from .errors import ApiError, json_type, read_json_object, surrogate_path
from .gateway_filtering import (
    Checked,
    Checker,
    Policy,
    Prompt,
    UnknownPolicy,
    chat_prompt,
    route_for,
    text_prompt,
)

logger = logging.getLogger(__name__)

PROMPT_FILTERED_MESSAGE = (
    "The response was filtered due to the prompt triggering the content management policy of "
    "this deployment. Please modify your prompt and retry."
)
INVALID_POLICY = {
    "error": {
        "code": "InvalidContentFilterPolicy",
        "message": "Your request contains invalid content filter policy. Please provide a valid "
        "policy.",
    }
}


# --- responses ---------------------------------------------------------------------------------


class _Recorder:
    """One background thread that hands events to the broker (or the outbox when it is down).

    The server thread only enqueues, so neither a slow broker nor the outbox write holds up the
    next request on a kept-alive connection. A full queue (the broker far behind) records inline
    instead: back-pressure rather than unbounded memory.
    """

    def __init__(self, size: int = 10_000):
        self.queue: queue.Queue[list[dict]] = queue.Queue(maxsize=size)
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def submit(self, events: list[dict]) -> None:
        if not events:
            return
        self._ensure_thread()
        try:
            self.queue.put_nowait(events)
        except queue.Full:
            self.record(events)

    def _ensure_thread(self) -> None:
        if self.thread is None or not self.thread.is_alive():
            with self.lock:
                if self.thread is None or not self.thread.is_alive():
                    self.thread = threading.Thread(
                        target=self._run, name="gs-gateway-recorder", daemon=True
                    )
                    self.thread.start()

    def _run(self) -> None:
        while True:
            events = self.queue.get()
            try:
                self.record(events)
            finally:
                # The outbox (and eager tasks) use this thread's database connection; closing it
                # keeps no idle session open between calls.
                db.connections.close_all()
                self.queue.task_done()

    @staticmethod
    def record(events: list[dict]) -> None:
        try:
            record_events(events)
        except Exception:  # recording must never turn a served call into an error
            logger.exception("could not record %d gateway events", len(events))


recorder = _Recorder()


class RecordingMixin:
    """Hands the call's events to the recorder once the server has sent the whole response."""

    events: list[dict]

    def close(self) -> None:
        try:
            recorder.submit(self.events)
        finally:
            super().close()  # type: ignore[misc]


class RecordingJsonResponse(RecordingMixin, JsonResponse):
    def __init__(self, data: Any, *, events: list[dict], **kwargs: Any):
        super().__init__(data, **kwargs)
        self.events = events


class RecordingStreamingResponse(RecordingMixin, StreamingHttpResponse):
    def __init__(self, streaming_content: Any, *, events: list[dict], **kwargs: Any):
        super().__init__(streaming_content, **kwargs)
        # The generator appends the choices' events as it finishes them.
        self.events = events


def openai_error(
    status: int,
    message: str,
    *,
    code: str | None,
    error_type: str | None = "invalid_request_error",
    param: str | None = None,
    events: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    return _json(body, status=status, events=events, headers=headers)


def _json(
    body: dict, *, status: int = 200, events: list[dict] | None = None, headers=None
) -> JsonResponse:
    response = RecordingJsonResponse(body, status=status, events=events or [])
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def access_error(exc: RuntimeAccessError) -> JsonResponse:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return openai_error(exc.status, exc.message, code=exc.code, headers=headers)


def upstream_error(exc: upstream.UpstreamError, events: list[dict]) -> JsonResponse:
    if exc.upstream_error is not None:
        return _json({"error": exc.upstream_error}, status=exc.status, events=events)
    error_type = "invalid_request_error" if exc.status < 500 else "upstream_error"
    message = exc.message or f"The upstream rejected the request (HTTP {exc.status})."
    return openai_error(exc.status, message, code=exc.code, error_type=error_type, events=events)


def prompt_filtered(checked: Checked, events: list[dict]) -> JsonResponse:
    body = {
        "error": {
            "message": PROMPT_FILTERED_MESSAGE,
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": checked.annotations,
            },
        }
    }
    return _json(body, status=400, events=events)


# --- the two API flavours ------------------------------------------------------------------------


@dataclass(frozen=True)
class Flavor:
    """What differs between chat completions and legacy completions."""

    path: str
    prompt_of: Callable[[dict], Prompt]
    text_of: Callable[[dict], str]  # a choice's text (whole message or streamed delta)
    withhold: Callable[[dict], None]  # remove a filtered choice's content in place
    delta: Callable[[str], dict]  # the streamed choice fields that carry a piece of text


def _chat_text(choice: dict) -> str:
    part = choice.get("message") or choice.get("delta") or {}
    content = part.get("content") if isinstance(part, dict) else None
    return content if isinstance(content, str) else ""


def _chat_withhold(choice: dict) -> None:
    message = choice.get("message")
    if isinstance(message, dict):
        message["content"] = None
        message.pop("tool_calls", None)
        message.pop("function_call", None)


def _text_text(choice: dict) -> str:
    text = choice.get("text")
    return text if isinstance(text, str) else ""


def _text_withhold(choice: dict) -> None:
    choice["text"] = ""


CHAT = Flavor(
    path="/chat/completions",
    prompt_of=lambda body: chat_prompt(body.get("messages") or []),
    text_of=_chat_text,
    withhold=_chat_withhold,
    delta=lambda text: {"delta": {"content": text}},
)
COMPLETIONS = Flavor(
    path="/completions",
    prompt_of=lambda body: text_prompt(body.get("prompt")),
    text_of=_text_text,
    withhold=_text_withhold,
    delta=lambda text: {"text": text},
)


# --- views ---------------------------------------------------------------------------------------


@csrf_exempt
def azure_chat_completions(request: HttpRequest, deployment_name: str) -> HttpResponseBase:
    return _azure(request, deployment_name, CHAT)


@csrf_exempt
def azure_completions(request: HttpRequest, deployment_name: str) -> HttpResponseBase:
    return _azure(request, deployment_name, COMPLETIONS)


@csrf_exempt
def openai_chat_completions(request: HttpRequest) -> HttpResponseBase:
    return _openai(request, CHAT)


@csrf_exempt
def openai_completions(request: HttpRequest) -> HttpResponseBase:
    return _openai(request, COMPLETIONS)


@csrf_exempt
def unknown_route(request: HttpRequest, rest: str = "") -> HttpResponseBase:
    """Any other URL under /v1/ or /openai/: 404 in the OpenAI shape these clients read."""
    return openai_error(
        404,
        f"Unknown request URL: {request.method} {request.path[:200]}.",
        code="unknown_url",
    )


def _azure(request: HttpRequest, deployment_name: str, flavor: Flavor) -> HttpResponseBase:
    if not request.GET.get("api-version"):
        return openai_error(
            400,
            "The api-version query parameter (e.g. ?api-version=2024-10-21) is required.",
            code="missing_api_version",
            param="api-version",
        )
    return _serve(request, flavor, lambda body: deployment_name)


def _openai(request: HttpRequest, flavor: Flavor) -> HttpResponseBase:
    return _serve(request, flavor, lambda body: body.get("model"))


def _serve(
    request: HttpRequest, flavor: Flavor, deployment_name_of: Callable[[dict], Any]
) -> HttpResponseBase:
    if request.method != "POST":
        response = openai_error(405, "Use POST.", code="method_not_allowed")
        response["Allow"] = "POST"
        return response
    try:
        resource = authenticate(request)
    except RuntimeAccessError as exc:
        return access_error(exc)
    try:
        body = read_json_object(request, max_bytes=max_body_bytes())
    except ApiError as error:
        code = "invalid_json" if error.status == 400 else _BODY_CODES.get(error.code, error.code)
        return openai_error(error.status, error.message, code=code)
    problem = _validate(body, flavor)
    if problem:
        return openai_error(400, problem[1], code="invalid_value", param=problem[0])
    name = deployment_name_of(body)
    if not isinstance(name, str):
        return openai_error(
            400,
            f"model must be the deployment name, a string, not {json_type(name)}.",
            code="invalid_value",
            param="model",
        )
    try:
        route = route_for(resource, name, request.headers.get("x-policy-id")) if name else None
    except UnknownPolicy:
        return _json(INVALID_POLICY, status=400)
    if route is None:
        return openai_error(
            404,
            "The API deployment for this resource does not exist.",
            code="DeploymentNotFound",
            param="model",
        )
    deployment, policy = route.deployment, route.policy

    prompt = flavor.prompt_of(body)
    [prompt_check] = route.checker(resource, "prompt").check([prompt.text], [prompt.documents])
    events = [prompt_event(resource, deployment, policy, prompt, prompt_check)]
    if prompt_check.filtered:
        return prompt_filtered(prompt_check, events)

    upstream_body = {**body, "model": upstream.upstream_model(deployment)}
    if body.get("stream"):
        from .streaming import stream_response

        return stream_response(
            flavor=flavor,
            resource=resource,
            deployment=deployment,
            policy=policy,
            checker=route.checker(resource, "completion"),
            prompt_check=prompt_check,
            upstream_body=upstream_body,
            events=events,
        )
    try:
        data = upstream.post_json(deployment, flavor.path, upstream_body)
    except upstream.UpstreamError as exc:
        return upstream_error(exc, events)
    checker = route.checker(resource, "completion")
    annotate_completion(data, flavor, resource, deployment, policy, prompt_check, events, checker)
    return _json(data, events=events)


def annotate_completion(
    data: dict,
    flavor: Flavor,
    resource: Resource,
    deployment: Deployment | None,
    policy: Policy,
    prompt_check: Checked,
    events: list[dict],
    checker: Checker | None = None,
) -> list[Checked]:
    """Check every choice in one batch, withhold the filtered ones, add both annotations."""
    choices = [choice for choice in data["choices"] if isinstance(choice, dict)]
    checker = checker or Checker(policy, resource, "completion")
    checks = checker.check([flavor.text_of(choice) for choice in choices])
    for choice, checked in zip(choices, checks, strict=True):
        choice["content_filter_results"] = checked.annotations
        if checked.filtered:
            flavor.withhold(choice)
            choice["finish_reason"] = "content_filter"
        events.append(completion_event(resource, deployment, policy, checked))
    data["prompt_filter_results"] = prompt_annotations(prompt_check)
    return checks


def prompt_annotations(prompt_check: Checked) -> list[dict]:
    return [{"prompt_index": 0, "content_filter_results": prompt_check.annotations}]


# --- recording -----------------------------------------------------------------------------------


def prompt_event(
    resource: Resource,
    deployment: Deployment | None,
    policy: Policy,
    prompt: Prompt,
    checked: Checked,
) -> dict:
    return _event(resource, deployment, policy, "prompt", checked, prompt.documents)


def completion_event(
    resource: Resource, deployment: Deployment | None, policy: Policy, checked: Checked
) -> dict:
    return _event(resource, deployment, policy, "completion", checked)


def _event(resource, deployment, policy, direction, checked: Checked, documents=()) -> dict:
    # A check that could not run is recorded without analysis: the worker classifies it later.
    return event_payload(
        resource=resource,
        direction=direction,
        # PostgreSQL text cannot hold NUL; the filter already saw the original text.
        content=checked.text.replace("\x00", "\ufffd"),
        filter_config=policy.config,
        deployment_id=deployment.pk if deployment else None,
        documents=[document.replace("\x00", "\ufffd") for document in documents],
        analysis=checked.analysis.to_dict() if checked.analysis else None,
        decision=checked.decision.results if checked.decision else None,
        filtered=checked.filtered if checked.decision else None,
    )


# --- request helpers -----------------------------------------------------------------------------


_BODY_CODES = {
    "RequestTooLarge": "request_too_large",
    "UnsupportedMediaType": "unsupported_media_type",
}


def max_body_bytes() -> int:
    """Chat prompts may be long: the gateway takes bodies up to Django's upload limit."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 5 * 1024 * 1024)


def _validate(body: dict, flavor: Flavor) -> tuple[str, str] | None:
    """(param, message) for a request the upstream should never see."""
    if flavor is CHAT:
        problem = _messages_problem(body.get("messages"))
    else:
        problem = _prompt_problem(body.get("prompt"))
    if problem:
        return problem
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
        return "n", "n must be an integer from 1 to 128."
    if not isinstance(body.get("stream", False), bool):
        return "stream", "stream must be a boolean."
    if not isinstance(body.get("stream_options") or {}, dict):
        return "stream_options", "stream_options must be an object."
    # Not Unicode text: the filter cannot score it and it cannot be sent upstream as UTF-8.
    where = surrogate_path(body, "")
    if where:
        return where, f"{where} contains an unpaired UTF-16 surrogate escape."
    return None


def _messages_problem(messages: Any) -> tuple[str, str] | None:
    """Every message an object with a string role; every text part's text a string.

    A text the filter cannot read must not reach the upstream unread: what is not a string where
    text belongs is refused rather than skipped.
    """
    if not isinstance(messages, list) or not messages:
        return "messages", "messages must be a non-empty array."
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            return where, f"{where} must be an object, not {json_type(message)}."
        if not isinstance(message.get("role"), str):
            return f"{where}.role", f"{where}.role must be a string."
        content = message.get("content")
        if content is None or isinstance(content, str):
            continue
        if not isinstance(content, list):
            return (
                f"{where}.content",
                f"{where}.content must be a string or an array of content parts, "
                f"not {json_type(content)}.",
            )
        for number, part in enumerate(content):
            at = f"{where}.content[{number}]"
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                return at, f"{at} must be an object with a string type."
            if part["type"] == "text" and not isinstance(part.get("text"), str):
                return f"{at}.text", f"{at}.text must be a string."
    return None


def _prompt_problem(prompt: Any) -> tuple[str, str] | None:
    """A string or an array of strings; token arrays are refused, the filter cannot read them."""
    if isinstance(prompt, str):
        return None
    if isinstance(prompt, list):
        for index, item in enumerate(prompt):
            if not isinstance(item, str):
                return (
                    f"prompt[{index}]",
                    f"prompt[{index}] must be a string, not {json_type(item)}; token arrays "
                    "are not supported because the content filter cannot read them.",
                )
        return None
    return "prompt", "prompt must be a string or an array of strings."
