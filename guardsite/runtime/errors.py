"""Error bodies of the runtime surfaces, and the parsing helpers every runtime view shares.

Each surface speaks its own error dialect: the Content Safety data plane answers
``{"error": {"code", "message", "target"?, "details"?}}`` with an ``x-ms-error-code`` header; the
OpenAI-compatible surfaces answer ``{"error": {"message", "type", "param", "code"}}``. A view raises
``ApiError`` (or lets ``RuntimeAccessError`` through) and its surface renders it once, so no view
builds an error body by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from guardsite.runtime.auth import RuntimeAccessError

JSON_TYPES = ("application/json", "application/merge-patch+json")
# The largest body any runtime route accepts: 10,000 characters of text, at most 4 bytes each,
# JSON escaping (up to 12 bytes for an escaped astral character) and 100 blocklist items.
MAX_BODY_BYTES = 1 << 20


@dataclass
class ApiError(Exception):
    """A precise 4xx: the status, a surface-neutral code, the message and the offending field."""

    status: int
    code: str
    message: str
    target: str | None = None
    details: list[dict[str, str]] = field(default_factory=list)
    retry_after: int | None = None


def bad_request(message: str, target: str | None = None) -> ApiError:
    return ApiError(400, "InvalidRequestBody", message, target)


def access_error(error: RuntimeAccessError) -> ApiError:
    return ApiError(error.status, error.code, error.message, retry_after=error.retry_after)


# --- Content Safety (Azure) dialect ----------------------------------------------------------


def azure_error_response(error: ApiError) -> JsonResponse:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.target:
        body["target"] = error.target
    if error.details:
        body["details"] = [
            {"code": error.code, **detail} if "code" not in detail else detail
            for detail in error.details
        ]
    response = JsonResponse({"error": body}, status=error.status)
    response["x-ms-error-code"] = error.code
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


# --- OpenAI dialect --------------------------------------------------------------------------

_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "requests",
}
_OPENAI_CODES = {
    "Unauthorized": "invalid_api_key",
    "Forbidden": "resource_not_active",
    "TooManyRequests": "rate_limit_exceeded",
    "InvalidRequestBody": "invalid_value",
    "UnsupportedMediaType": "unsupported_media_type",
    "MethodNotAllowed": "method_not_allowed",
}


def openai_error_response(error: ApiError) -> JsonResponse:
    """``{"error": {"message", "type", "param", "code"}}`` as the OpenAI API and client expect."""
    body = {
        "message": error.message,
        "type": _OPENAI_TYPES.get(error.status, "invalid_request_error"),
        "param": error.target,
        "code": _OPENAI_CODES.get(error.code, error.code),
    }
    response = JsonResponse({"error": body}, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


# --- request parsing -------------------------------------------------------------------------


def read_json_object(request: HttpRequest, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object, or an ApiError that says exactly what is wrong with it.

    A body over ``max_bytes``, or over Django's DATA_UPLOAD_MAX_MEMORY_SIZE, is a 413.
    """
    too_large = ApiError(413, "RequestTooLarge", f"The body is over {max_bytes:,} bytes.")
    length = request.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise too_large
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(raw) > max_bytes:
        raise too_large
    if not raw.strip():
        raise bad_request("The request body is empty; a JSON object is required.")
    content_type = request.content_type or ""
    if content_type not in JSON_TYPES:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"Content-Type must be application/json, not {content_type or 'missing'!r}.",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"The body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise bad_request(
            f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    except RecursionError:
        raise bad_request("The body is nested too deeply.") from None
    if not isinstance(body, dict):
        raise bad_request(f"The body must be a JSON object, not {_json_type(body)}.")
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"The body is not valid JSON: {name} is not a JSON value.")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def check_text(value: str, target: str, max_length: int) -> str:
    """Refuse what cannot be valid Unicode text (lone surrogates) and over-long strings."""
    length = len(value)  # Python counts code points, as the API's limits do
    if length > max_length:
        raise bad_request(
            f"{target} has {length:,} characters (Unicode code points); "
            f"at most {max_length:,} are allowed.",
            target,
        )
    if _has_surrogate(value):
        raise bad_request(f"{target} contains an unpaired UTF-16 surrogate escape.", target)
    return value


def surrogate_path(value: Any, path: str) -> str | None:
    """Where in a parsed JSON value a string holds a lone surrogate (``\\ud800``), else None.

    JSON allows such escapes but they are not Unicode text: nothing can encode them as UTF-8, so
    neither the classifier, the database nor an upstream request can take them.
    """
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                return where
        elif isinstance(item, dict):
            for key in item:
                if _has_surrogate(key):
                    return where or "body"
            # Reversed onto the stack, so the first offending field in the body is reported.
            stack.extend((item[key], f"{where}.{key}" if where else key) for key in reversed(item))
        elif isinstance(item, list):
            stack.extend((item[index], f"{where}[{index}]") for index in reversed(range(len(item))))
    return None


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def string_field(
    body: dict[str, Any], name: str, *, max_length: int, required: bool = False, default: str = ""
) -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"{name} is required.", name)
        return default
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string, not {_json_type(value)}.", name)
    return check_text(value, name, max_length)


def bool_field(body: dict[str, Any], name: str, default: bool = False) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false, not {_json_type(value)}.", name)
    return value


def list_field(body: dict[str, Any], name: str, *, max_items: int) -> list[Any] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request(f"{name} must be an array, not {_json_type(value)}.", name)
    if len(value) > max_items:
        raise bad_request(
            f"{name} has {len(value):,} entries; at most {max_items} are allowed.", name
        )
    return value


def string_list_field(
    body: dict[str, Any], name: str, *, max_items: int, max_length: int
) -> list[str] | None:
    values = list_field(body, name, max_items=max_items)
    if values is None:
        return None
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise bad_request(
                f"{name}[{index}] must be a string, not {_json_type(value)}.", f"{name}[{index}]"
            )
        check_text(value, f"{name}[{index}]", max_length)
    return values


def json_type(value: Any) -> str:
    return _json_type(value)
