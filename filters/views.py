"""Content-filter pages: list, detail with versions, the create/edit wizard, import and export.

Wizard state lives in the session, one entry per flow: starting the wizard (Create, or Edit)
issues a token that every step URL carries as ``?flow=``, so two tabs creating filters keep
separate state. A step can be revisited with Back without JavaScript and nothing reaches the
database until the review step's Create calls create_filter (or update_filter). Each step is
validated server-side when it is submitted; the final action validates everything again.
"""

import re
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deployments.actions import ReplacementNotConfirmed, assign_filter
from deployments.models import Deployment
from guardsite.models import Resource
from guardsite.page_views import (
    add_action_errors,
    errors_of,
    full_redirect,
    is_htmx,
    render_list_page,
    render_page,
    resource_context,
    resource_for_editor,
    resource_for_viewer,
)

from .actions import (
    FilterData,
    create_filter,
    delete_filter,
    filter_data_from_instance,
    resolve_blocklists,
    restore_filter_version,
    update_filter,
)
from .config import config_diff, export_rai_policy, parse_rai_policy, settings_of
from .forms import (
    CATEGORY_LABELS,
    RESTRICTED_VALUES,
    SEVERITY_HINTS,
    BasicsForm,
    BlocklistsForm,
    DeploymentsForm,
    ImportForm,
    SettingsForm,
    classifier_label,
)
from .models import HARM_CATEGORIES, OPTIONAL_MODELS, ContentFilter

STEPS = [
    ("basics", "Basic information"),
    ("input", "Input filters"),
    ("output", "Output filters"),
    ("blocklists", "Blocklists"),
    ("deployments", "Deployments"),
    ("review", "Review"),
]
STEP_NAMES = [name for name, _ in STEPS]
# Which step shows an error about which action field, so the review page can link to it.
FIELD_STEPS = {
    "name": "basics",
    "description": "basics",
    "classifier": "basics",
    "blocklists": "blocklists",
}


def _filter_for_viewer(request: HttpRequest, resource_id: Any, filter_id: Any) -> ContentFilter:
    resource = resource_for_viewer(request, resource_id)
    return get_object_or_404(ContentFilter, resource=resource, pk=filter_id)


def _filter_for_editor(request: HttpRequest, resource_id: Any, filter_id: Any) -> ContentFilter:
    resource = resource_for_editor(request, resource_id)
    return get_object_or_404(ContentFilter, resource=resource, pk=filter_id)


@require_GET
@login_required
def filter_list(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_viewer(request, resource_id)
    filters = (
        ContentFilter.objects.filter(resource=resource)
        .annotate(deployment_count=Count("deployments"))
        .order_by("name")
    )
    return render_list_page(
        request, resource, filters, "filters/list.html", ("name", "description")
    )


def _settings_groups(values: dict[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    groups = []
    for direction, title in (("prompt", "Input filters"), ("completion", "Output filters")):
        rows = [
            (CATEGORY_LABELS[name], values[f"{direction}_{name}"])
            for name in (*HARM_CATEGORIES, *OPTIONAL_MODELS[direction])
        ]
        if direction == "completion":
            rows.append(("Streaming mode", values["streaming_mode"]))
        groups.append((title, rows))
    return groups


def _detail_context(request: HttpRequest, content_filter: ContentFilter, **extra: Any) -> dict:
    assert content_filter.resource is not None
    versions = list(content_filter.versions.select_related("created_by"))
    # Versions come newest first; each is compared with the one before it.
    history = [
        (version, config_diff(older.config if older else None, version.config))
        for version, older in zip(versions, [*versions[1:], None], strict=True)
    ]
    return resource_context(
        request,
        content_filter.resource,
        content_filter=content_filter,
        classifier=classifier_label(content_filter.classifier),
        groups=_settings_groups(settings_of(content_filter)),
        attachments=content_filter.attachments.select_related("blocklist").order_by(
            "direction", "blocklist__name"
        ),
        deployments=content_filter.deployments.order_by("name"),
        history=history,
        **extra,
    )


@require_GET
@login_required
def filter_detail(request: HttpRequest, resource_id: Any, filter_id: Any) -> HttpResponse:
    content_filter = _filter_for_viewer(request, resource_id, filter_id)
    return render(request, "filters/detail.html", _detail_context(request, content_filter))


@require_POST
@login_required
def filter_restore(
    request: HttpRequest, resource_id: Any, filter_id: Any, number: int
) -> HttpResponse:
    content_filter = _filter_for_editor(request, resource_id, filter_id)
    try:
        restore_filter_version(content_filter, number, acting_user=request.user)
    except ValidationError as exc:
        context = _detail_context(request, content_filter, action_errors=exc.messages)
        return render(request, "filters/detail.html", context, status=400)
    messages.success(request, f"Restored version {number} as version {content_filter.version}.")
    return redirect("filters:detail", resource_id, content_filter.pk)


@require_POST
@login_required
def filter_delete(request: HttpRequest, resource_id: Any, filter_id: Any) -> HttpResponse:
    content_filter = _filter_for_editor(request, resource_id, filter_id)
    try:
        delete_filter(content_filter, acting_user=request.user)
    except ValidationError as exc:
        context = _detail_context(request, content_filter, action_errors=exc.messages)
        return render(request, "filters/detail.html", context, status=400)
    messages.success(request, f"Deleted filter '{content_filter.name}'.")
    return redirect("filters:list", resource_id)


@require_GET
@login_required
def filter_export(request: HttpRequest, resource_id: Any, filter_id: Any) -> HttpResponse:
    content_filter = _filter_for_viewer(request, resource_id, filter_id)
    response = JsonResponse(export_rai_policy(content_filter), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{content_filter.name}.json"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def filter_import(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_editor(request, resource_id)
    form = ImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            values, wanted = parse_rai_policy(form.cleaned_data["policy"])
            policy = form.cleaned_data["policy"]
            name = form.cleaned_data["name"] or str(policy.get("name", ""))
            data = FilterData(
                name=name,
                settings=values,
                attachments=resolve_blocklists(resource, wanted),
            )
            content_filter = create_filter(resource, data, acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc, fallback="policy")
        else:
            messages.success(request, f"Imported filter '{content_filter.name}'.")
            return redirect("filters:detail", resource.pk, content_filter.pk)
    status = 400 if form.errors else 200
    context = resource_context(request, resource, form=form)
    return render(request, "filters/import.html", context, status=status)


# --- The wizard -------------------------------------------------------------------------------


# A step URL without ?flow= (a bookmark, an old link) uses this shared slot, as before tokens.
DEFAULT_FLOW = "default"
FLOW_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
# Abandoned flows would pile up in the session: only the most recent ones are kept.
MAX_FLOWS = 10
FLOWS_KEY = "filter-wizard-flows"


def _flow_of(request: HttpRequest) -> str:
    flow = request.GET.get("flow", "")
    return flow if FLOW_PATTERN.fullmatch(flow) else DEFAULT_FLOW


def _state_key(resource: Resource, content_filter: ContentFilter | None, flow: str) -> str:
    target = content_filter.pk if content_filter else "new"
    return f"filter-wizard:{resource.pk}:{target}:{flow}"


def _remember_flow(request: HttpRequest, key: str) -> None:
    """Track the session's wizard entries, dropping the oldest beyond MAX_FLOWS."""
    keys = [known for known in request.session.get(FLOWS_KEY, []) if known != key] + [key]
    for stale in keys[:-MAX_FLOWS]:
        request.session.pop(stale, None)
    request.session[FLOWS_KEY] = keys[-MAX_FLOWS:]


def _initial_state(content_filter: ContentFilter | None) -> dict[str, Any]:
    if content_filter is None:
        return {}
    data = filter_data_from_instance(content_filter)
    values = dict(data.settings)
    classifier = values.pop("classifier", "")
    return {
        "basics": {
            "name": data.name,
            "description": data.description,
            "classifier": classifier,
        },
        "input": {key: value for key, value in values.items() if key.startswith("prompt_")},
        "output": {key: value for key, value in values.items() if not key.startswith("prompt_")},
        "blocklists": [
            [str(attached.blocklist.pk), attached.direction, attached.blocking]
            for attached in data.attachments
        ],
        "deployments": {"assign": [], "replace": []},
    }


def _step_url(
    resource: Resource, content_filter: ContentFilter | None, step: str, flow: str
) -> str:
    if content_filter is None:
        url = reverse("filters:create_step", args=[resource.pk, step])
    else:
        url = reverse("filters:edit_step", args=[resource.pk, content_filter.pk, step])
    return url if flow == DEFAULT_FLOW else f"{url}?flow={flow}"


@require_GET
@login_required
def wizard_start(request: HttpRequest, resource_id: Any, filter_id: Any = None) -> HttpResponse:
    """Begin creating or editing: a new flow with fresh wizard state, then the first step."""
    resource = resource_for_editor(request, resource_id)
    content_filter = None
    if filter_id is not None:
        content_filter = get_object_or_404(ContentFilter, resource=resource, pk=filter_id)
    flow = secrets.token_urlsafe(9)
    key = _state_key(resource, content_filter, flow)
    request.session[key] = _initial_state(content_filter)
    _remember_flow(request, key)
    return redirect(_step_url(resource, content_filter, "basics", flow))


def _make_form(step: str, state: dict, resource: Resource, instance: Any, data: Any = None):
    name = state.get("basics", {}).get("name", "")
    common = {"resource": resource, "instance": instance}
    if step == "basics":
        return BasicsForm(data, initial=state.get("basics"), name=name, **common)
    if step == "input":
        return SettingsForm(
            data, initial=state.get("input"), direction="prompt", name=name, **common
        )
    if step == "output":
        return SettingsForm(
            data, initial=state.get("output"), direction="completion", name=name, **common
        )
    if step == "blocklists":
        initial = BlocklistsForm.initial_from(state.get("blocklists", []))
        return BlocklistsForm(data, initial=initial, name=name, **common)
    if step == "deployments":
        return DeploymentsForm(data, initial=state.get("deployments"), **common)
    return None


def _stored(step: str, form: Any) -> Any:
    if step == "blocklists":
        return form.attachments()
    return dict(form.cleaned_data)


def _first_missing(state: dict) -> str | None:
    for step in STEP_NAMES[:-1]:
        if step not in state:
            return step
    return None


@require_http_methods(["GET", "POST"])
@login_required
def wizard(
    request: HttpRequest, resource_id: Any, step: str, filter_id: Any = None
) -> HttpResponse:
    resource = resource_for_editor(request, resource_id)
    content_filter = None
    if filter_id is not None:
        content_filter = get_object_or_404(ContentFilter, resource=resource, pk=filter_id)
    flow = _flow_of(request)
    if step not in STEP_NAMES:
        return redirect(_step_url(resource, content_filter, "basics", flow))
    key = _state_key(resource, content_filter, flow)
    if key not in request.session:
        if step == "review" and request.method == "POST":
            # A second Create (a double-click, a resubmitted tab) after the flow finished: the
            # filter was saved once already and must not be created or versioned again.
            messages.info(request, "That wizard was already finished; nothing more was saved.")
            if content_filter is None:
                return full_redirect(request, "filters:list", resource.pk)
            return full_redirect(request, "filters:detail", resource.pk, content_filter.pk)
        request.session[key] = _initial_state(content_filter)
        _remember_flow(request, key)
    state = request.session[key]
    index = STEP_NAMES.index(step)
    missing = _first_missing(state)
    if missing is not None and STEP_NAMES.index(missing) < index:
        # Steps are done in order: a skipped step is shown first.
        return _go(request, resource, content_filter, missing, state)

    if request.method == "GET":
        form = _make_form(step, state, resource, content_filter)
        return _render_step(request, resource, content_filter, step, state, form)

    going_back = request.POST.get("go") == "back"
    if step == "review":
        if going_back:
            return _go(request, resource, content_filter, STEP_NAMES[index - 1], state)
        return _finish(request, resource, content_filter, state, key)
    form = _make_form(step, state, resource, content_filter, data=request.POST)
    if form.is_valid():
        state[step] = _stored(step, form)
        request.session[key] = state
        target = STEP_NAMES[index - 1] if going_back else STEP_NAMES[index + 1]
        return _go(request, resource, content_filter, target, state)
    if going_back and index > 0:
        # Back never blocks on this page's errors; its unsaved edits are dropped.
        return _go(request, resource, content_filter, STEP_NAMES[index - 1], state)
    return _render_step(request, resource, content_filter, step, state, form, status=400)


def _go(request, resource, content_filter, step, state) -> HttpResponse:
    """Move to a step: a redirect without JS; with htmx the step swaps in place, URL pushed."""
    url = _step_url(resource, content_filter, step, _flow_of(request))
    if not is_htmx(request):
        return redirect(url)
    form = _make_form(step, state, resource, content_filter)
    response = _render_step(request, resource, content_filter, step, state, form)
    response["HX-Push-Url"] = url
    return response


def _review_summary(resource: Resource, state: dict) -> dict[str, Any]:
    values = {**state.get("input", {}), **state.get("output", {})}
    names = {
        str(blocklist.pk): blocklist.name
        for blocklist in BlocklistsForm(resource=resource).blocklists
    }
    deployments = {
        str(deployment.pk): deployment
        for deployment in Deployment.objects.filter(resource=resource).select_related(
            "content_filter"
        )
    }
    chosen = state.get("deployments", {})
    basics = state.get("basics", {})
    return {
        "basics": basics,
        "classifier": classifier_label(basics.get("classifier", "")),
        "groups": _settings_groups(values) if {"input", "output"} <= set(state) else [],
        "attached": [
            (names.get(blocklist_id, "(deleted list)"), direction, blocking)
            for blocklist_id, direction, blocking in state.get("blocklists", [])
        ],
        "assigned": [
            (deployments[deployment_id], deployment_id in chosen.get("replace", []))
            for deployment_id in chosen.get("assign", [])
            if deployment_id in deployments
        ],
    }


def _render_step(request, resource, content_filter, step, state, form, *, status=200, **extra):
    context = resource_context(
        request,
        resource,
        content_filter=content_filter,
        steps=STEPS,
        step=step,
        step_title=dict(STEPS)[step],
        step_url=_step_url(resource, content_filter, step, _flow_of(request)),
        flow=_flow_of(request),
        is_first=step == STEP_NAMES[0],
        form=form,
        restricted_values=RESTRICTED_VALUES,
        approved=resource.modified_content_filters_approved,
        severity_hints=SEVERITY_HINTS,
        **extra,
    )
    if step == "review":
        context["summary"] = _review_summary(resource, state)
    return render_page(request, "filters/wizard.html", context, partial="wizard", status=status)


def _finish(request, resource, content_filter, state, key) -> HttpResponse:
    """Create (or update) the filter and make the chosen assignments, all or nothing."""
    settings = {**state["input"], **state["output"]}
    if "classifier" in state["basics"]:
        # Absent only from wizard state begun before the choice existed: keep the filter's.
        settings["classifier"] = state["basics"]["classifier"]
    data = FilterData(
        name=state["basics"]["name"],
        description=state["basics"].get("description", ""),
        settings=settings,
    )
    chosen = state.get("deployments", {"assign": [], "replace": []})
    try:
        with transaction.atomic():
            data.attachments = resolve_blocklists(resource, state["blocklists"], by="pk")
            if content_filter is None:
                saved = create_filter(resource, data, acting_user=request.user)
            else:
                saved = update_filter(content_filter, data, acting_user=request.user)
            for deployment in Deployment.objects.filter(
                resource=resource, pk__in=chosen.get("assign", [])
            ):
                if deployment.content_filter_id == saved.pk:
                    continue
                assign_filter(
                    deployment,
                    saved,
                    acting_user=request.user,
                    confirm_replace=str(deployment.pk) in chosen.get("replace", []),
                )
    except ReplacementNotConfirmed as exc:
        # Another user assigned a filter since the deployments step: ask again there.
        return _render_step(
            request,
            resource,
            content_filter,
            "review",
            state,
            None,
            status=409,
            action_errors=[(exc.messages[0], "deployments")],
        )
    except ValidationError as exc:
        problems = [
            (message, FIELD_STEPS.get(field) or _setting_step(field))
            for field, messages_ in errors_of(exc).items()
            for message in messages_
        ]
        return _render_step(
            request,
            resource,
            content_filter,
            "review",
            state,
            None,
            status=400,
            action_errors=problems,
        )
    request.session.pop(key, None)
    request.session[FLOWS_KEY] = [k for k in request.session.get(FLOWS_KEY, []) if k != key]
    verb = "Created" if content_filter is None else "Saved"
    messages.success(request, f"{verb} filter '{saved.name}' (version {saved.version}).")
    # With htmx too, leave the wizard entirely: a full navigation to the filter's page.
    return full_redirect(request, "filters:detail", resource.pk, saved.pk)


def _setting_step(field: str) -> str | None:
    if field.startswith("prompt_"):
        return "input"
    if field.startswith("completion_") or field == "streaming_mode":
        return "output"
    return None
