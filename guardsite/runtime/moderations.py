"""``POST /v1/moderations``: the OpenAI moderation API over Guardsite's harm models.

Serializer for compat-api.md section 3: slash names, float scores and booleans. Guardsite scores
four categories; the keys it has no model for are always ``false`` / ``0.0`` (docs/runtime-api.md
lists them). ``flagged`` and each boolean follow a filter configuration's prompt-side thresholds:
the filter named by the ``x-policy-id`` header (one of the caller's resource's filters, or a
built-in one), otherwise the built-in default (every category at ``medium``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from filters.models import ContentFilter
from guardsite.classification import harm_model
from guardsite.engine.analyzer import Analyzer
from guardsite.engine.decision import decide, default_config
from guardsite.models import Resource
from guardsite.runtime.auth import RuntimeAccessError, authenticate
from guardsite.runtime.content_safety import record_after_response
from guardsite.runtime.errors import (
    ApiError,
    access_error,
    bad_request,
    check_text,
    json_type,
    openai_error_response,
    read_json_object,
)
from guardsite.runtime.gateway_filtering import MAX_FILTER_NAME
from review.recording import event_payload

MAX_INPUTS = 32
MAX_INPUT_CHARS = 10_000
DEFAULT_MODEL = "omni-moderation-latest"

# OpenAI key -> the engine category it reports; keys absent here have no Guardsite model.
SCORED_KEYS = {"hate": "hate", "sexual": "sexual", "violence": "violence", "self-harm": "self_harm"}
KEYS = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


@csrf_exempt
def create_moderation(request: HttpRequest) -> HttpResponse:
    try:
        if request.method != "POST":
            raise ApiError(405, "MethodNotAllowed", f"{request.method} is not allowed; use POST.")
        resource = authenticate(request)
        body = read_json_object(request)
        texts = _inputs(body)
        model = body.get("model", DEFAULT_MODEL)
        if not isinstance(model, str) or not model or len(model) > 256:
            raise bad_request("model must be a non-empty string.", "model")
        config = _policy(request, resource)
    except RuntimeAccessError as error:
        return openai_error_response(access_error(error))
    except ApiError as error:
        response = openai_error_response(error)
        if error.status == 405:
            response["Allow"] = "POST"
        return response

    analyses = Analyzer(harm_model()).analyze_batch(texts, "prompt", want={"categories"})
    results, events = [], []
    for text, analysis in zip(texts, analyses, strict=True):
        decision = decide(analysis, config, "prompt")
        results.append(_result(analysis, decision.results))
        events.append(
            event_payload(
                resource=resource,
                direction="prompt",
                content=text.replace("\x00", "\ufffd"),
                filter_config=config,
                analysis=analysis.to_dict(),
                decision=decision.results,
                filtered=results[-1]["flagged"],
            )
        )
    response = JsonResponse({"id": f"modr-{uuid.uuid4().hex}", "model": model, "results": results})
    record_after_response(response, events)
    return response


def _inputs(body: dict[str, Any]) -> list[str]:
    if "input" not in body:
        raise bad_request("input is required: a string or an array of strings.", "input")
    value = body["input"]
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list):
        raise bad_request(
            f"input must be a string or an array of strings, not {json_type(value)}.", "input"
        )
    if not texts:
        raise bad_request("input must not be an empty array.", "input")
    if len(texts) > MAX_INPUTS:
        raise bad_request(
            f"input has {len(texts)} entries; at most {MAX_INPUTS} are allowed.", "input"
        )
    for index, text in enumerate(texts):
        where = "input" if isinstance(value, str) else f"input[{index}]"
        if not isinstance(text, str):
            raise bad_request(
                f"{where} must be a string, not {json_type(text)}; image inputs are not supported.",
                "input",
            )
        try:
            check_text(text, where, MAX_INPUT_CHARS)
        except ApiError as error:
            error.target = "input"
            raise
    return texts


def _policy(request: HttpRequest, resource: Resource) -> dict[str, Any]:
    """The filter whose prompt thresholds decide ``flagged``: x-policy-id, else the default."""
    name = request.headers.get("x-policy-id", "").strip()
    if not name:
        return default_config()
    if len(name) > MAX_FILTER_NAME or "\x00" in name:  # no filter can have this name
        content_filter = None
    else:
        content_filter = (
            ContentFilter.objects.filter(Q(resource=resource) | Q(resource__isnull=True), name=name)
            .order_by("resource_id")  # the resource's own filter before a built-in of that name
            .first()
        )
    if content_filter is None:
        raise ApiError(
            400,
            "InvalidContentFilterPolicy",
            "Your request contains invalid content filter policy. Please provide a valid policy.",
        )
    return content_filter.as_config()


def _result(analysis: Any, decision: dict[str, Any]) -> dict[str, Any]:
    categories = dict.fromkeys(KEYS, False)
    scores = dict.fromkeys(KEYS, 0.0)
    for key, engine_name in SCORED_KEYS.items():
        scored = analysis.categories.get(engine_name)
        if scored is not None:
            scores[key] = round(float(scored.score), 6)
        categories[key] = bool(decision.get(engine_name, {}).get("filtered", False))
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": {key: ["text"] for key in KEYS},
    }
