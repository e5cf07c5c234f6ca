"""Shared REST plumbing: one error shape for every API error, and cursor pagination.

Every error body is ``{"error": {"code", "message", "details": [{"target", "message"}]}}``, the
same shape the Content Safety data plane uses, with the code also in the ``x-ms-error-code``
header. Validation errors raised by the action functions (Django's ValidationError) become 400s
with one detail per field, so REST and pages enforce the same rules with the same words.
"""

from typing import Any

from django.core.exceptions import (
    FieldDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

CONFLICT_CODES = {"in_use", "confirm_replace", "last_owner"}

STATUS_CODES = {
    400: "InvalidRequestBody",
    401: "Unauthorized",
    403: "Forbidden",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    413: "RequestTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    500: "InternalError",
}


def _encodable(text: str) -> str:
    """The text, with lone surrogates spelled out: messages echo input, and UTF-8 refuses them."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_body(code: str, message: str, details: list[dict[str, str]] | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": _encodable(message)}
    if details:
        error["details"] = [
            {key: _encodable(value) for key, value in detail.items()} for detail in details
        ]
    return {"error": error}


def error_response(status_code: int, message: str, details=None, code: str | None = None):
    code = code or STATUS_CODES.get(status_code, "InvalidRequestBody")
    response = Response(error_body(code, message, details), status=status_code)
    response["x-ms-error-code"] = code
    return response


def details_from(errors: Any, target: str = "") -> list[dict[str, str]]:
    """Flatten DRF or Django error structures into [{target, message}]."""
    if isinstance(errors, dict):
        details: list[dict[str, str]] = []
        for key, value in errors.items():
            if isinstance(key, int):  # DRF reports list items by position
                details.extend(details_from(value, f"{target}[{key}]"))
                continue
            name = key if key not in ("__all__", "non_field_errors") else ""
            details.extend(
                details_from(value, f"{target}.{name}" if target and name else name or target)
            )
        return details
    if isinstance(errors, list | tuple):
        details = []
        for index, value in enumerate(errors):
            if isinstance(value, dict):
                details.extend(details_from(value, f"{target}[{index}]"))
            else:
                details.extend(details_from(value, target))
        return details
    return [{"target": target, "message": str(errors)}]


def _too_deep_to_parse(exc: Exception) -> bool:
    """The JSON parser ran out of stack on a deeply nested body (json's own message)."""
    return isinstance(exc, RecursionError) and "decoding a JSON" in str(exc)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    # Raised by Django while reading the body, so they never reach a view as DRF errors.
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "The request body is too large.")
    if isinstance(exc, SuspiciousOperation):
        return error_response(400, str(exc) or "The request is not valid.")
    if _too_deep_to_parse(exc):
        return error_response(400, "JSON parse error - the body is nested too deeply.")
    if isinstance(exc, DjangoValidationError):
        details = details_from(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        status_code = 409 if getattr(exc, "code", None) in CONFLICT_CODES else 400
        if getattr(exc, "code", None) == "read_only":
            status_code = 403
        message = details[0]["message"] if len(details) == 1 else "The request is not valid."
        return error_response(status_code, message, details)
    if isinstance(exc, Http404):
        return error_response(404, "Not found.")
    if isinstance(exc, PermissionDenied):
        return error_response(403, str(exc) or "You do not have permission to do this.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        details = details_from(exc.detail)
        message = details[0]["message"] if len(details) == 1 else "The request is not valid."
        if details and details[0]["target"] and len(details) == 1:
            message = f"{details[0]['target']}: {message}"
        new = error_response(400, message, details)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        new = error_response(response.status_code, str(detail))
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            new[header] = response[header]
    return new


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-created_at"

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """The cursor, refused as a 400 on the cursor parameter when it cannot be used.

        DRF answers 404 for a cursor it cannot read, and takes the position of one it can read
        as it comes: a forged position ("p=x" where the ordering is a number or a date) then
        fails when the queryset is filtered by it, a 500 or a message naming a model field.
        """
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise self._invalid_cursor() from exc
        if cursor is not None and cursor.position is not None:
            field = self._ordering_field()
            if field is not None:
                try:
                    field.get_prep_value(field.to_python(cursor.position))
                except (ValueError, TypeError, DjangoValidationError) as exc:
                    raise self._invalid_cursor() from exc
        return cursor

    def _ordering_field(self) -> Any:
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        model = getattr(self, "_model", None)
        try:
            return model._meta.get_field(ordering.lstrip("-")) if model else None
        except FieldDoesNotExist:
            return None

    def _invalid_cursor(self) -> exceptions.ValidationError:
        return exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})


def json_404(request, exception=None):
    """Unmatched URLs under /api/ answer in the API's error shape; pages get the HTML page."""
    if request.path.startswith(("/api/", "/contentsafety/", "/openai/", "/v1/")):
        response = JsonResponse(error_body("ResourceNotFound", "Not found."), status=404)
        response["x-ms-error-code"] = "ResourceNotFound"
        return response
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_500(request):
    if request.path.startswith(("/api/", "/contentsafety/", "/openai/", "/v1/")):
        response = JsonResponse(
            error_body("InternalError", "The server had an error."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
        response["x-ms-error-code"] = "InternalError"
        return response
    from django.views.defaults import server_error

    return server_error(request)
