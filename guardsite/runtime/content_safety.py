"""The Content Safety data plane: text analysis, prompt shields, protected material, blocklists.

Wire format: docs/runtime-api.md and compat-api.md section 1 (camelCase, ``Hate``/``SelfHarm``,
integer severities). Every view is wrapped by ``content_safety_view``, which checks the method,
the API key (guardsite.runtime.auth), the ``api-version`` and renders every ``ApiError`` or
validation error in the service's error shape, so a view only parses, acts and serializes.

Blocklist changes go through the action functions of blocklists.actions; classification runs
synchronously through guardsite.classification; each analysed text is recorded as a
classification event once the response has been sent (see ``record_after_response``).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from blocklists.actions import (
    ItemInput,
    add_items,
    create_blocklist,
    delete_blocklist,
    remove_items,
    update_blocklist,
)
from blocklists.models import MAX_DESCRIPTION, MAX_ITEM_TEXT, MAX_NAME, Blocklist, BlocklistItem
from guardsite.classification import compiled_blocklists, harm_model, protected_index
from guardsite.engine.analyzer import Analyzer, match_blocklists
from guardsite.engine.decision import decide, default_config
from guardsite.engine.types import CATEGORIES, Analysis, four_level_severity
from guardsite.models import NAME_VALIDATOR, Resource
from guardsite.runtime.auth import RuntimeAccessError, authenticate
from guardsite.runtime.errors import (
    ApiError,
    access_error,
    azure_error_response,
    bad_request,
    bool_field,
    list_field,
    read_json_object,
    string_field,
    string_list_field,
)
from review.recording import event_payload, record_events

logger = logging.getLogger(__name__)

GA_VERSIONS = ("2023-10-01", "2024-09-01")
# 2024-09-15-preview introduced detectProtectedMaterialForCode; 2026-09-01-preview is what the
# newest client (azure-ai-contentsafety 1.1.0b1) sends by default.
PREVIEW_VERSIONS = ("2024-09-15-preview", "2026-09-01-preview")
API_VERSIONS = GA_VERSIONS + PREVIEW_VERSIONS
# isRegex on blocklist items exists from 2024-09-01 on; 2023-10-01 clients never see it.
REGEX_VERSIONS = frozenset(API_VERSIONS) - {"2023-10-01"}

MAX_TEXT = 10_000
NAME_CHARACTERS = re.compile(r"[0-9A-Za-z._~-]+")
MAX_DOCUMENTS = 5
MAX_BLOCKLIST_NAMES = 10
MAX_ITEMS_PER_CALL = 100
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

# Wire name -> engine name, in the order the service lists categories.
WIRE_CATEGORIES = {
    "Hate": "hate",
    "SelfHarm": "self_harm",
    "Sexual": "sexual",
    "Violence": "violence",
}
OUTPUT_TYPES = ("FourSeverityLevels", "EightSeverityLevels")

# The runtime acts for the resource's key, not for a signed-in person.
RUNTIME_ACTOR = AnonymousUser()


# --- the view wrapper ------------------------------------------------------------------------


def content_safety_view(*methods: str) -> Callable:
    """Method check, authentication, api-version, and errors in the service's shape."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise ApiError(
                        405,
                        "MethodNotAllowed",
                        f"{request.method} is not allowed here; use {' or '.join(methods)}.",
                    )
                resource = authenticate(request)
                request.api_version = _api_version(request)  # type: ignore[attr-defined]
                return view(request, resource, *args, **kwargs)
            except RuntimeAccessError as error:
                return azure_error_response(access_error(error))
            except ApiError as error:
                response = azure_error_response(error)
                if error.status == 405:
                    response["Allow"] = ", ".join(methods)
                return response
            except ValidationError as error:
                return azure_error_response(_from_validation_error(error))

        return wrapped

    return decorate


def _api_version(request: HttpRequest) -> str:
    version = request.GET.get("api-version")
    if not version:
        raise ApiError(
            400,
            "InvalidRequestBody",
            "The api-version query parameter is required. Supported versions: "
            f"{', '.join(API_VERSIONS)}.",
            target="api-version",
        )
    if version not in API_VERSIONS:
        raise ApiError(
            400,
            "InvalidRequestBody",
            f"The api-version '{version[:40]}' is not supported. Supported versions: "
            f"{', '.join(API_VERSIONS)}.",
            target="api-version",
        )
    return version


def _from_validation_error(error: ValidationError) -> ApiError:
    """An action function's ValidationError as a 400 (409 for a list still in use)."""
    if hasattr(error, "error_dict"):
        details = [
            {"target": _wire_target(name), "message": message}
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    else:
        details = [{"target": "", "message": message} for message in error.messages]
    status = 409 if getattr(error, "code", None) == "in_use" else 400
    if getattr(error, "code", None) == "read_only":
        status = 403
    code = {400: "InvalidRequestBody", 403: "Forbidden", 409: "Conflict"}[status]
    first = details[0]
    message = f"{first['target']}: {first['message']}" if first["target"] else first["message"]
    return ApiError(status, code, message, first["target"] or None, details)


def _wire_target(name: str) -> str:
    if name.startswith("items["):
        return "blocklistItems" + name[len("items") :]
    return {"name": "blocklistName", "__all__": ""}.get(name, name)


# --- text:analyze ----------------------------------------------------------------------------


@content_safety_view("POST")
def analyze_text(request: HttpRequest, resource: Resource) -> HttpResponse:
    body = read_json_object(request)
    text = string_field(body, "text", max_length=MAX_TEXT, required=True)
    categories = _requested_categories(body)
    output_type = string_field(body, "outputType", max_length=40, default="FourSeverityLevels")
    if output_type not in OUTPUT_TYPES:
        raise bad_request(
            f"outputType must be one of {', '.join(OUTPUT_TYPES)}, not {output_type!r}.",
            "outputType",
        )
    names = string_list_field(
        body, "blocklistNames", max_items=MAX_BLOCKLIST_NAMES, max_length=MAX_NAME
    )
    halt = bool_field(body, "haltOnBlocklistHit")
    blocklists = _blocklists_for_analysis(resource, names or [])
    config = _analysis_config(categories, blocklists)

    matchers = compiled_blocklists(config, "prompt") if blocklists else []
    matches = match_blocklists(text, matchers) if matchers else ()
    analysis = Analysis(blocklist_matches=matches)
    if not (halt and matches):
        scored = Analyzer(harm_model()).analyze(text, "prompt", want={"categories"})
        analysis = replace(
            analysis, categories=scored.categories, model_version=scored.model_version
        )

    eight_levels = output_type == "EightSeverityLevels"
    answer = {
        "blocklistsMatch": _blocklist_matches(matches),
        "categoriesAnalysis": [
            {
                "category": wire,
                "severity": _severity(analysis.categories[name].severity, eight_levels),
            }
            for wire, name in WIRE_CATEGORIES.items()
            if wire in categories and name in analysis.categories
        ],
    }
    response = JsonResponse(answer)
    record_after_response(response, [_event(resource, "prompt", text, config, analysis)])
    return response


def _requested_categories(body: dict[str, Any]) -> list[str]:
    requested = string_list_field(body, "categories", max_items=len(WIRE_CATEGORIES), max_length=40)
    if requested is None:
        return list(WIRE_CATEGORIES)
    for index, category in enumerate(requested):
        if category not in WIRE_CATEGORIES:
            raise bad_request(
                f"categories[{index}] is {category!r}; the categories are "
                f"{', '.join(WIRE_CATEGORIES)}.",
                f"categories[{index}]",
            )
    return requested or list(WIRE_CATEGORIES)


def _severity(severity: int, eight_levels: bool) -> int:
    return max(0, min(7, severity)) if eight_levels else four_level_severity(severity)


def _blocklists_for_analysis(resource: Resource, names: list[str]) -> list[Blocklist]:
    """The named lists: the resource's own, or a built-in list (``Profanity``) of that name."""
    if not names:
        return []
    for index, name in enumerate(names):
        # A name no list can have is refused before it reaches the database (a NUL breaks it).
        _valid_name(name, f"blocklistNames[{index}]")
    found: dict[str, Blocklist] = {}
    rows = Blocklist.objects.filter(Q(resource=resource) | Q(resource__isnull=True), name__in=names)
    for blocklist in rows.only("id", "name", "resource_id"):
        # A resource's own list shadows a built-in list of the same name.
        if blocklist.name not in found or blocklist.resource_id is not None:
            found[blocklist.name] = blocklist
    missing = [name for name in names if name not in found]
    if missing:
        raise ApiError(
            404,
            "ResourceNotFound",
            f"Blocklist '{missing[0]}' was not found.",
            target="blocklistNames",
        )
    return [found[name] for name in dict.fromkeys(names)]


def _analysis_config(categories: list[str], blocklists: list[Blocklist]) -> dict[str, Any]:
    """The filter configuration a text:analyze call amounts to, recorded with its event."""
    config = default_config()
    config["name"] = "text:analyze"
    prompt = config["prompt"]
    prompt["categories"] = {
        name: ("medium" if wire in categories else "off") for wire, name in WIRE_CATEGORIES.items()
    }
    prompt["jailbreak"] = "off"
    prompt["blocklists"] = [
        {"id": str(blocklist.pk), "name": blocklist.name, "blocking": True}
        for blocklist in blocklists
    ]
    return config


def _blocklist_matches(matches: tuple) -> list[dict[str, str]]:
    seen, answer = set(), []
    for match in matches:
        key = (match.blocklist_name, match.item_id)
        if key in seen:
            continue
        seen.add(key)
        answer.append(
            {
                "blocklistName": match.blocklist_name,
                "blocklistItemId": match.item_id,
                "blocklistItemText": match.item_text,
            }
        )
    return answer


# --- text:shieldPrompt -----------------------------------------------------------------------


@content_safety_view("POST")
def shield_prompt(request: HttpRequest, resource: Resource) -> HttpResponse:
    body = read_json_object(request)
    user_prompt = string_field(body, "userPrompt", max_length=MAX_TEXT)
    documents = (
        string_list_field(body, "documents", max_items=MAX_DOCUMENTS, max_length=MAX_TEXT) or []
    )
    total = sum(len(document) for document in documents)
    if total > MAX_TEXT:
        raise bad_request(
            f"documents have {total:,} characters in total; at most {MAX_TEXT:,} are allowed.",
            "documents",
        )
    if "userPrompt" not in body and "documents" not in body:
        raise bad_request("Send userPrompt, documents or both.", "userPrompt")
    analysis = Analyzer(harm_model()).analyze(
        user_prompt, "prompt", documents, want={"jailbreak", "indirect_attack"}
    )
    assert analysis.jailbreak is not None and analysis.indirect_attack is not None
    answer = {
        "userPromptAnalysis": {"attackDetected": analysis.jailbreak.detected},
        "documentsAnalysis": [
            {"attackDetected": detection.detected} for detection in analysis.indirect_attack
        ],
    }
    config = _models_only_config("prompt", jailbreak="block", indirect_attack="block")
    response = JsonResponse(answer)
    record_after_response(
        response, [_event(resource, "prompt", user_prompt, config, analysis, documents)]
    )
    return response


# --- text:detectProtectedMaterial(ForCode) ---------------------------------------------------


@content_safety_view("POST")
def detect_protected_material(request: HttpRequest, resource: Resource) -> HttpResponse:
    body = read_json_object(request)
    text = string_field(body, "text", max_length=MAX_TEXT, required=True)
    analysis = _protected_analysis(resource, text, "protected_material_text")
    assert analysis.protected_material_text is not None
    answer = {"protectedMaterialAnalysis": {"detected": analysis.protected_material_text.detected}}
    config = _models_only_config(
        "completion", protected_material_text="block", protected_material_code="off"
    )
    response = JsonResponse(answer)
    record_after_response(response, [_event(resource, "completion", text, config, analysis)])
    return response


@content_safety_view("POST")
def detect_protected_material_for_code(request: HttpRequest, resource: Resource) -> HttpResponse:
    if request.api_version not in PREVIEW_VERSIONS:  # type: ignore[attr-defined]
        raise bad_request(
            "text:detectProtectedMaterialForCode is a preview operation: use api-version "
            f"{' or '.join(PREVIEW_VERSIONS)}.",
            "api-version",
        )
    body = read_json_object(request)
    code = string_field(body, "code", max_length=MAX_TEXT, required=True)
    analysis = _protected_analysis(resource, code, "protected_material_code")
    result = analysis.protected_material_code
    assert result is not None
    citations = []
    if result.detected and result.citation is not None:
        citation = result.citation
        citations.append(
            {
                "license": citation.license or "",
                "sourceUrls": [citation.url] if citation.url else [],
            }
        )
    answer = {
        "protectedMaterialAnalysis": {"detected": result.detected, "codeCitations": citations}
    }
    config = _models_only_config(
        "completion", protected_material_text="off", protected_material_code="block"
    )
    response = JsonResponse(answer)
    record_after_response(response, [_event(resource, "completion", code, config, analysis)])
    return response


def _protected_analysis(resource: Resource, text: str, part: str) -> Analysis:
    analyzer = Analyzer(None, protected_index(str(resource.pk)))
    return analyzer.analyze(text, "completion", want={part})


def _models_only_config(direction: str, **models: str) -> dict[str, Any]:
    """A configuration with the harm categories off and only the given models on."""
    config = default_config()
    config["name"] = "content-safety"
    side = config[direction]
    side["categories"] = dict.fromkeys(CATEGORIES, "off")
    for model in ("jailbreak", "profanity") if direction == "prompt" else ("profanity",):
        side[model] = "off"
    side.update(models)
    return config


# --- events ----------------------------------------------------------------------------------


def _event(
    resource: Resource,
    direction: str,
    text: str,
    config: dict[str, Any],
    analysis: Analysis,
    documents: list[str] | None = None,
) -> dict[str, Any]:
    decision = decide(analysis, config, direction)
    return event_payload(
        resource=resource,
        direction=direction,
        # PostgreSQL text cannot hold NUL; the analysis already saw the original text.
        content=text.replace("\x00", "\ufffd"),
        documents=[document.replace("\x00", "\ufffd") for document in documents or ()],
        filter_config=config,
        analysis=analysis.to_dict(),
        decision=decision.results,
        filtered=decision.filtered,
    )


def record_after_response(response: HttpResponse, payloads: list[dict[str, Any]]) -> None:
    """Record the events when the server closes the response, after the client has it.

    The WSGI server calls ``close()`` once the body is sent; Django runs the response's resource
    closers there, before request_finished recycles the database connection. A failure to record
    is logged, never turned into an error for a caller who already has their answer.
    """

    def record() -> None:
        try:
            record_events(payloads)
        except Exception:
            logger.exception("could not record %d runtime events", len(payloads))

    # Django's own hook for work at close (FileResponse closes its file there); it has no
    # public name, hence the ignore.
    response._resource_closers.append(record)  # type: ignore[attr-defined]


# --- blocklists ------------------------------------------------------------------------------


def _valid_name(name: str, target: str = "blocklistName") -> str:
    if len(name) > MAX_NAME:
        raise ApiError(
            400,
            "InvalidResourceName",
            f"A blocklist name has at most {MAX_NAME} characters; this one has {len(name)}.",
            target=target,
        )
    try:
        NAME_VALIDATOR(name)
        # The validator's ``$`` also matches before a final newline: "abc\n" must not pass.
        if not NAME_CHARACTERS.fullmatch(name):
            raise ValidationError("not a name")
    except ValidationError:
        raise ApiError(
            400,
            "InvalidResourceName",
            f"The blocklist name {name!r} is not valid: use 1 to {MAX_NAME} letters, digits, "
            "'.', '_', '~' and '-'.",
            target=target,
        ) from None
    return name


def _own_blocklist(resource: Resource, name: str) -> Blocklist:
    """The resource's list of that name; another resource's list is as absent as no list."""
    blocklist = Blocklist.objects.filter(resource=resource, name=_valid_name(name)).first()
    if blocklist is None:
        raise ApiError(404, "ResourceNotFound", f"Blocklist '{name}' was not found.")
    return blocklist


def _blocklist_json(blocklist: Blocklist) -> dict[str, Any]:
    return {"blocklistName": blocklist.name, "description": blocklist.description}


def _item_json(item: BlocklistItem, api_version: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "blocklistItemId": str(item.pk),
        "description": item.description,
        "text": item.text,
    }
    if api_version in REGEX_VERSIONS:
        answer["isRegex"] = item.is_regex
    return answer


@content_safety_view("GET")
def list_blocklists(request: HttpRequest, resource: Resource) -> HttpResponse:
    lists = Blocklist.objects.filter(resource=resource).order_by("name")
    return _page(request, lists, _blocklist_json)


@content_safety_view("GET", "PATCH", "DELETE")
def blocklist(request: HttpRequest, resource: Resource, name: str) -> HttpResponse:
    if request.method == "PATCH":
        return _create_or_update_blocklist(request, resource, name)
    found = _own_blocklist(resource, name)
    if request.method == "DELETE":
        delete_blocklist(found, acting_user=RUNTIME_ACTOR)
        return HttpResponse(status=204)
    return JsonResponse(_blocklist_json(found))


def _create_or_update_blocklist(
    request: HttpRequest, resource: Resource, name: str
) -> HttpResponse:
    _valid_name(name)
    body = read_json_object(request)
    body_name = string_field(body, "blocklistName", max_length=MAX_NAME, default=name)
    if body_name != name:
        raise bad_request(
            f"blocklistName {body_name!r} in the body differs from {name!r} in the path.",
            "blocklistName",
        )
    if "description" in body and body["description"] is not None:
        description: str | None = string_field(body, "description", max_length=MAX_DESCRIPTION)
        if description and "\x00" in description:
            raise bad_request("description contains a NUL character.", "description")
    else:
        description = None  # merge-patch: absent or null leaves the description as it is
    existing = Blocklist.objects.filter(resource=resource, name=name).first()
    if existing is None:
        try:
            created = create_blocklist(
                resource, name=name, description=description or "", acting_user=RUNTIME_ACTOR
            )
            return JsonResponse(_blocklist_json(created), status=201)
        except ValidationError:
            # Another request created it between our read and our write: update it instead.
            existing = Blocklist.objects.filter(resource=resource, name=name).first()
            if existing is None:
                raise
    if description is not None and description != existing.description:
        update_blocklist(existing, description=description, acting_user=RUNTIME_ACTOR)
    return JsonResponse(_blocklist_json(existing), status=200)


@content_safety_view("POST")
def add_or_update_items(request: HttpRequest, resource: Resource, name: str) -> HttpResponse:
    found = _own_blocklist(resource, name)
    body = read_json_object(request)
    raw_items = list_field(body, "blocklistItems", max_items=MAX_ITEMS_PER_CALL)
    if not raw_items:
        raise bad_request(
            f"blocklistItems must hold 1 to {MAX_ITEMS_PER_CALL} items.", "blocklistItems"
        )
    api_version = request.api_version  # type: ignore[attr-defined]
    items = [_item_input(raw, index, api_version) for index, raw in enumerate(raw_items)]
    stored = add_items(found, items, acting_user=RUNTIME_ACTOR)
    return JsonResponse({"blocklistItems": [_item_json(item, api_version) for item in stored]})


def _item_input(raw: Any, index: int, api_version: str) -> ItemInput:
    where = f"blocklistItems[{index}]"
    if not isinstance(raw, dict):
        raise bad_request(f"{where} must be an object with a text.", where)
    text = string_field(raw, "text", max_length=MAX_ITEM_TEXT, required=True)
    description = string_field(raw, "description", max_length=MAX_DESCRIPTION)
    is_regex = bool_field(raw, "isRegex")
    if "isRegex" in raw and api_version not in REGEX_VERSIONS:
        raise bad_request(
            f"{where}.isRegex needs api-version 2024-09-01 or later.", f"{where}.isRegex"
        )
    if "\x00" in text or "\x00" in description:
        raise bad_request(f"{where} contains a NUL character.", where)
    item_id = raw.get("blocklistItemId")
    if item_id is not None and not isinstance(item_id, str):
        raise bad_request(f"{where}.blocklistItemId must be a string.", f"{where}.blocklistItemId")
    return ItemInput(text=text, is_regex=is_regex, description=description, id=item_id)


@content_safety_view("POST")
def remove_blocklist_items(request: HttpRequest, resource: Resource, name: str) -> HttpResponse:
    found = _own_blocklist(resource, name)
    body = read_json_object(request)
    item_ids = string_list_field(
        body, "blocklistItemIds", max_items=MAX_ITEMS_PER_CALL, max_length=64
    )
    if not item_ids:
        raise bad_request(
            f"blocklistItemIds must hold 1 to {MAX_ITEMS_PER_CALL} ids.", "blocklistItemIds"
        )
    try:
        remove_items(found, item_ids, acting_user=RUNTIME_ACTOR)
    except ValidationError as error:
        message = error.message_dict.get("blocklistItemIds", error.messages)[0]
        raise ApiError(404, "ResourceNotFound", message, "blocklistItemIds") from None
    return HttpResponse(status=204)


@content_safety_view("GET")
def list_blocklist_items(request: HttpRequest, resource: Resource, name: str) -> HttpResponse:
    found = _own_blocklist(resource, name)
    api_version = request.api_version  # type: ignore[attr-defined]
    items = BlocklistItem.objects.filter(blocklist=found).order_by("created_at", "id")
    return _page(request, items, lambda item: _item_json(item, api_version))


@content_safety_view("GET")
def blocklist_item(
    request: HttpRequest, resource: Resource, name: str, item_id: str
) -> HttpResponse:
    found = _own_blocklist(resource, name)
    item = None
    with contextlib.suppress(ValueError):  # not a UUID: names no item
        item = BlocklistItem.objects.filter(blocklist=found, pk=uuid.UUID(item_id)).first()
    if item is None:
        raise ApiError(
            404, "ResourceNotFound", f"Blocklist item '{item_id[:64]}' was not found in '{name}'."
        )
    return JsonResponse(_item_json(item, request.api_version))  # type: ignore[attr-defined]


# --- paging ----------------------------------------------------------------------------------


def _page(request: HttpRequest, queryset: Any, serialize: Callable[[Any], dict]) -> JsonResponse:
    """``top`` caps the whole listing, ``skip`` offsets it, ``maxpagesize`` sizes one page.

    A page that leaves items behind carries ``nextLink``, an absolute URL with ``skip`` advanced
    and ``top`` reduced, which the official client follows as it is.
    """
    top = _int_param(request, "top", minimum=0)
    skip = _int_param(request, "skip", minimum=0) or 0
    page_size = _int_param(request, "maxpagesize", minimum=1)
    page_size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if top is not None:
        page_size = min(page_size, top)
    rows = list(queryset[skip : skip + page_size + 1]) if page_size else []
    more = len(rows) > page_size and (top is None or top > page_size)
    answer: dict[str, Any] = {"value": [serialize(row) for row in rows[:page_size]]}
    if more:
        params = {
            "api-version": request.api_version,  # type: ignore[attr-defined]
            "skip": skip + page_size,
            "maxpagesize": page_size,
        }
        if top is not None:
            params["top"] = top - page_size
        answer["nextLink"] = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
    return JsonResponse(answer)


def _int_param(request: HttpRequest, name: str, *, minimum: int) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) < minimum or len(raw) > 9:
        raise ApiError(
            400,
            "InvalidRequestBody",
            f"The query parameter {name} must be an integer of at least {minimum}, "
            f"not {raw[:20]!r}.",
            target=name,
        )
    return int(raw)
