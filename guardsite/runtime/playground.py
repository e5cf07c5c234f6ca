"""The playground: try a prompt (and documents) against a deployment or a filter, see the
annotations and the decision next to the text, and report filter feedback.

A deployment with an upstream answers the prompt, and its completion is checked too; a filter
alone checks the prompt and, if given, a completion text. Playground calls are not recorded for
abuse monitoring: they are the team testing its own configuration.

Feedback ("wrongly blocked" / "should have been blocked") is stored as a labelled example with
the decision the filter made, re-computed here rather than trusted from the browser. Any member
may report; staff and the resource's owners list and export the examples for retraining.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deployments.models import Deployment
from filters.actions import default_filter
from filters.models import ContentFilter
from guardsite.access import can_admin_resource, require_admin_resource
from guardsite.engine.types import BlocklistMatch
from guardsite.models import Resource
from guardsite.page_views import is_htmx, paginate, resource_context, resource_for_viewer
from review.models import FilterFeedback

from . import upstream
from .gateway_filtering import Checked, Policy, check_texts, resolve_policy

MAX_TEXT = 10_000
DOCUMENT_SEPARATOR = "\n---\n"
FEEDBACK_CATEGORIES = [
    ("", "Not sure"),
    ("hate", "Hate"),
    ("sexual", "Sexual"),
    ("violence", "Violence"),
    ("self_harm", "Self-harm"),
    ("jailbreak", "Jailbreak"),
    ("indirect_attack", "Indirect attack"),
    ("protected_material", "Protected material"),
    ("profanity", "Profanity"),
    ("custom_blocklists", "Blocklist"),
]


# --- forms ---------------------------------------------------------------------------------------


def target_choices(resource: Resource) -> list[tuple[str, str]]:
    deployments = [
        (f"deployment:{d.pk}", f"Deployment {d.name}")
        for d in Deployment.objects.filter(resource=resource).only("id", "name")
    ]
    filters = [
        (f"filter:{f.pk}", f"Filter {f.name}")
        for f in ContentFilter.objects.filter(resource=resource).only("id", "name")
    ]
    return [*deployments, ("filter:default", "Filter Default (built-in)"), *filters]


class PlaygroundForm(forms.Form):
    target = forms.ChoiceField(label="Deployment or filter")
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_TEXT)
    documents = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=MAX_TEXT,
        help_text="Grounding documents, scored for indirect attacks; separate them with a line "
        "holding only ---.",
    )
    completion = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=MAX_TEXT,
        label="Completion to check (optional)",
        help_text="Checked as model output. Left empty, a deployment's upstream answers.",
    )

    def __init__(self, resource: Resource, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = target_choices(resource)

    def document_list(self) -> list[str]:
        text = self.cleaned_data.get("documents", "").replace("\r\n", "\n")
        return [part.strip() for part in text.split(DOCUMENT_SEPARATOR) if part.strip()]


class FeedbackForm(forms.Form):
    target = forms.CharField()
    kind = forms.ChoiceField(choices=FilterFeedback.Kind.choices, widget=forms.RadioSelect)
    direction = forms.ChoiceField(choices=FilterFeedback.Direction.choices)
    text = forms.CharField(max_length=MAX_TEXT, strip=False)
    documents = forms.CharField(required=False, max_length=MAX_TEXT * 2)
    category = forms.ChoiceField(choices=FEEDBACK_CATEGORIES, required=False)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def document_list(self) -> list[str]:
        try:
            documents = json.loads(self.cleaned_data.get("documents") or "[]")
        except ValueError:
            return []
        return [d for d in documents if isinstance(d, str)] if isinstance(documents, list) else []


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Judged:
    """One side's text with its verdict, ready for the template."""

    direction: str
    checked: Checked
    documents: list[str]

    @property
    def status(self) -> str:
        if self.checked.decision is None:
            return "unavailable"
        return "filtered" if self.checked.filtered else "passed"

    @property
    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for name, result in self.checked.annotations.items():
            if name == "error":
                continue
            if "severity" in result:
                value = result["severity"]
            elif "detected" in result:
                value = "detected" if result["detected"] else "not detected"
            else:
                value = ", ".join(d["id"] for d in result.get("details", [])) or "no match"
            rows.append({"name": name, "value": value, "filtered": result.get("filtered")})
        return rows

    @property
    def segments(self) -> list[dict[str, Any]]:
        analysis = self.checked.analysis
        matches: list[BlocklistMatch] = list(analysis.blocklist_matches) if analysis else []
        if analysis and analysis.profanity:
            matches += list(analysis.profanity.matches)
        return highlight(self.checked.text, matches)

    @property
    def documents_json(self) -> str:
        return json.dumps(self.documents)


def highlight(text: str, matches: list[BlocklistMatch]) -> list[dict[str, Any]]:
    """The text cut into plain and matched segments; overlapping matches merge into the first."""
    segments: list[dict[str, Any]] = []
    position = 0
    for match in sorted(matches, key=lambda m: (m.start, -m.end)):
        if match.start < position or match.end <= match.start:
            continue
        if match.start > position:
            segments.append({"text": text[position : match.start], "match": None})
        segments.append({"text": text[match.start : match.end], "match": match})
        position = match.end
    if position < len(text):
        segments.append({"text": text[position:], "match": None})
    return segments


def resolve_target(resource: Resource, target: str) -> tuple[Policy, Deployment | None] | None:
    kind, _, ident = target.partition(":")
    try:
        if kind == "deployment":
            deployment = Deployment.objects.select_related("content_filter").get(
                resource=resource, pk=ident
            )
            return resolve_policy(resource, deployment), deployment
        if kind == "filter" and ident == "default":
            content_filter = default_filter()
        elif kind == "filter":
            content_filter = ContentFilter.objects.get(resource=resource, pk=ident)
        else:
            return None
    except (Deployment.DoesNotExist, ContentFilter.DoesNotExist, ValidationError, ValueError):
        return None  # also a malformed id: it names nothing of this resource
    return Policy(content_filter, content_filter.as_config()), None


def run(
    resource: Resource,
    policy: Policy,
    deployment: Deployment | None,
    prompt: str,
    documents: list[str],
    completion: str,
) -> dict[str, Any]:
    [prompt_check] = check_texts([prompt], "prompt", policy, resource, documents=[documents])
    result: dict[str, Any] = {
        "policy": policy,
        "deployment": deployment,
        "prompt": Judged("prompt", prompt_check, documents),
        "completion": None,
        "upstream_error": None,
    }
    if prompt_check.filtered:
        return result  # like the gateway: a filtered prompt never reaches the model
    if not completion and deployment is not None and deployment.upstream_url:
        content = prompt
        if documents:
            blocks = "\n".join(f'"""<documents>\n{d}\n</documents>"""' for d in documents)
            content = f"{prompt}\n{blocks}"
        try:
            data = upstream.post_json(
                deployment,
                "/chat/completions",
                {
                    "model": upstream.upstream_model(deployment),
                    "messages": [{"role": "user", "content": content}],
                },
            )
            message = (data["choices"][0] or {}).get("message") or {}
            completion = message.get("content") or ""
        except (upstream.UpstreamError, IndexError, AttributeError) as exc:
            result["upstream_error"] = getattr(exc, "message", "") or "No answer from upstream."
    if completion:
        [completion_check] = check_texts([completion], "completion", policy, resource)
        result["completion"] = Judged("completion", completion_check, [])
    return result


# --- views ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def playground(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_viewer(request, resource_id)
    form = PlaygroundForm(resource, request.POST or None)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            resolved = resolve_target(resource, form.cleaned_data["target"])
            if resolved is None:
                form.add_error("target", "Choose a deployment or filter of this resource.")
                status = 400
            else:
                policy, deployment = resolved
                result = run(
                    resource,
                    policy,
                    deployment,
                    form.cleaned_data["prompt"],
                    form.document_list(),
                    form.cleaned_data["completion"],
                )
        else:
            status = 400
    context = resource_context(
        request,
        resource,
        form=form,
        result=result,
        target=request.POST.get("target", ""),
        feedback_kinds=FilterFeedback.Kind.choices,
        feedback_categories=FEEDBACK_CATEGORIES,
        can_list_feedback=_can_list_feedback(request, resource),
    )
    template = "runtime/playground.html"
    if is_htmx(request) and request.method == "POST":
        template += "#result"
    return render(request, template, context, status=status)


@require_POST
@login_required
def feedback_create(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_viewer(request, resource_id)
    form = FeedbackForm(request.POST)
    resolved = resolve_target(resource, request.POST.get("target", "")) if form.is_valid() else None
    if resolved is None:
        message = "The feedback could not be recorded: " + (
            "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
            or "choose a deployment or filter of this resource."
        )
        if is_htmx(request):
            return render(
                request, "runtime/playground.html#feedback_done", {"error": message}, status=400
            )
        messages.error(request, message)
        return redirect("playground:index", resource.pk)
    policy, _ = resolved
    data = form.cleaned_data
    documents = form.document_list() if data["direction"] == "prompt" else []
    [checked] = check_texts(
        [data["text"]],
        data["direction"],
        policy,
        resource,
        documents=[documents] if data["direction"] == "prompt" else None,
    )
    feedback = FilterFeedback.objects.create(
        resource=resource,
        kind=data["kind"],
        direction=data["direction"],
        text=data["text"],
        documents=documents,
        category=data.get("category") or "",
        comment=data.get("comment", ""),
        filter_name=policy.name,
        filter_config=policy.config,
        annotations=checked.annotations,
        filtered=checked.filtered if checked.decision else None,
        reported_by=request.user if request.user.is_authenticated else None,
    )
    if is_htmx(request):
        return render(request, "runtime/playground.html#feedback_done", {"feedback": feedback})
    messages.success(request, "Thank you: the feedback was recorded.")
    return redirect("playground:index", resource.pk)


@require_GET
@login_required
def feedback_list(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = _resource_for_feedback(request, resource_id)
    feedback = FilterFeedback.objects.filter(resource=resource).select_related("reported_by")
    kind = request.GET.get("kind", "")
    if kind in FilterFeedback.Kind.values:
        feedback = feedback.filter(kind=kind)
    context = resource_context(
        request, resource, page=paginate(request, feedback), kind=kind, kinds=FilterFeedback.Kind
    )
    return render(request, "runtime/feedback_list.html", context)


EXPORT_FIELDS = [
    "id",
    "created_at",
    "kind",
    "label",
    "direction",
    "category",
    "text",
    "documents",
    "comment",
    "filter_name",
    "filtered",
    "reported_by",
]


@require_GET
@login_required
def feedback_export(request: HttpRequest, resource_id: Any, fmt: str) -> HttpResponse:
    resource = _resource_for_feedback(request, resource_id)
    if fmt not in ("csv", "jsonl"):
        return HttpResponse("Export as .csv or .jsonl.", status=404, content_type="text/plain")
    rows = (
        _export_row(feedback)
        for feedback in FilterFeedback.objects.filter(resource=resource)
        .select_related("reported_by")
        .order_by("created_at")
        .iterator()
    )
    filename = f"{resource.name}-filter-feedback.{fmt}"
    if fmt == "jsonl":
        response = HttpResponse(content_type="application/x-ndjson; charset=utf-8")
        for row in rows:
            response.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.DictWriter(response, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "documents": json.dumps(row["documents"], ensure_ascii=False)})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export_row(feedback: FilterFeedback) -> dict[str, Any]:
    return {
        "id": str(feedback.id),
        "created_at": feedback.created_at.isoformat(),
        "kind": feedback.kind,
        # The label a retraining job wants: 1 harmful (should have been blocked), 0 benign.
        "label": 1 if feedback.kind == FilterFeedback.Kind.SHOULD_HAVE_BLOCKED else 0,
        "direction": feedback.direction,
        "category": feedback.category,
        "text": feedback.text,
        "documents": feedback.documents,
        "comment": feedback.comment,
        "filter_name": feedback.filter_name,
        "filtered": feedback.filtered,
        "annotations": feedback.annotations,
        "filter_config": feedback.filter_config,
        "reported_by": feedback.reported_by.get_username() if feedback.reported_by else None,
    }


def _can_list_feedback(request: HttpRequest, resource: Resource) -> bool:
    return can_admin_resource(request.user, resource)


def _resource_for_feedback(request: HttpRequest, resource_id: Any) -> Resource:
    """Members see the resource (404 for outsiders); only owners and staff read feedback (403)."""
    resource = resource_for_viewer(request, resource_id)
    require_admin_resource(request.user, resource)
    return resource
