"""Forms for the content-filter pages. The rules themselves live in filters.actions: each step
asks validate_filter_data about its own fields, so the wizard and the REST API refuse the same
things with the same messages."""

import json
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models

from blocklists.models import Blocklist
from deployments.models import Deployment
from guardsite.models import Resource

from .actions import FilterData, validate_filter_data
from .models import (
    HARM_CATEGORIES,
    OPTIONAL_MODELS,
    RESTRICTED_SEVERITIES,
    ContentFilter,
    ModelAction,
    ProtectedWork,
    Severity,
    StreamingMode,
)
from .protected import MAX_WORK_CHARS, WorkInput, kind_for_filename

CATEGORY_LABELS = {
    "hate": "Hate",
    "sexual": "Sexual",
    "violence": "Violence",
    "self_harm": "Self-harm",
    "jailbreak": "Prompt shield for jailbreak attacks",
    "indirect_attack": "Prompt shield for indirect attacks",
    "profanity": "Profanity",
    "protected_material_text": "Protected material for text",
    "protected_material_code": "Protected material for code",
}
SEVERITY_CHOICES = [
    (Severity.LOW.value, "Low"),
    (Severity.MEDIUM.value, "Medium"),
    (Severity.HIGH.value, "High"),
    (Severity.ANNOTATE.value, "Annotate only"),
    (Severity.OFF.value, "No filter"),
]
SEVERITY_HINTS = {
    "low": "blocks low, medium and high severity",
    "medium": "blocks medium and high severity",
    "high": "blocks high severity only",
}
STREAMING_CHOICES = [
    (StreamingMode.DEFAULT.value, "Default"),
    (StreamingMode.ASYNCHRONOUS.value, "Asynchronous filter"),
]
RESTRICTED_VALUES = sorted({*RESTRICTED_SEVERITIES, StreamingMode.ASYNCHRONOUS})
ATTACH_CHOICES = [("", "Not used"), ("block", "Blocking"), ("annotate", "Annotate only")]


class ActionValidatedForm(forms.Form):
    """A wizard step that checks its values with validate_filter_data, keeping only the errors
    about its own fields (the other steps are checked on their own pages)."""

    def __init__(
        self,
        *args: Any,
        resource: Resource,
        instance: ContentFilter | None = None,
        name: str = "",
        **kwargs: Any,
    ) -> None:
        self.resource, self.instance, self.filter_name = resource, instance, name
        super().__init__(*args, **kwargs)

    def filter_data(self) -> FilterData:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            validate_filter_data(self.resource, self.filter_data(), instance=self.instance)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                if key in self.fields:
                    for message in messages:
                        self.add_error(key, message)
        return cleaned


LOCAL_CLASSIFIER_LABEL = "Local trained models"


def classifier_label(value: str) -> str:
    """How a filter's classifier reads on pages: profile names only, never endpoints or keys."""
    if not value:
        return f"Operator default ({classifier_label(settings.GUARDSITE_CLASSIFIER or 'local')})"
    if value == "local":
        return LOCAL_CLASSIFIER_LABEL
    if value in settings.GUARDSITE_CLASSIFIERS:
        return f"{value} (operator profile)"
    return f"{value} (no longer configured)"


def classifier_choices() -> list[tuple[str, str]]:
    # Read per form: the profiles come from settings, which tests (and operators) change.
    profiles = sorted(settings.GUARDSITE_CLASSIFIERS)
    return [(value, classifier_label(value)) for value in ["", "local", *profiles]]


class BasicsForm(ActionValidatedForm):
    name = forms.CharField(
        max_length=64,
        help_text="Letters, digits, '.', '_', '~' and '-'. Unique within the resource.",
    )
    description = forms.CharField(max_length=1024, required=False, widget=forms.Textarea)
    classifier = forms.ChoiceField(
        required=False,
        help_text="Which models score the harm categories. Profiles are configured by the "
        "operator; the default follows the operator's setting.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["classifier"]).choices = classifier_choices()

    def filter_data(self) -> FilterData:
        return FilterData(
            name=self.cleaned_data["name"],
            description=self.cleaned_data.get("description", ""),
            settings={"classifier": self.cleaned_data.get("classifier", "")},
        )


class SettingsForm(ActionValidatedForm):
    """The input filters (prompt) or output filters (completion) step."""

    def __init__(self, *args: Any, direction: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direction = direction
        for category in HARM_CATEGORIES:
            field = forms.ChoiceField(
                label=CATEGORY_LABELS[category],
                choices=SEVERITY_CHOICES,
                initial=Severity.MEDIUM,
                widget=forms.RadioSelect,
            )
            field.kind = "severity"  # type: ignore[attr-defined]
            self.fields[f"{direction}_{category}"] = field
        for model in OPTIONAL_MODELS[direction]:
            field = forms.ChoiceField(
                label=CATEGORY_LABELS[model],
                choices=ModelAction.choices,
                initial=cast(
                    models.Field, ContentFilter._meta.get_field(f"{direction}_{model}")
                ).default,
                widget=forms.RadioSelect,
            )
            field.kind = "model"  # type: ignore[attr-defined]
            self.fields[f"{direction}_{model}"] = field
        if direction == "completion":
            field = forms.ChoiceField(
                label="Streaming mode",
                choices=STREAMING_CHOICES,
                initial=StreamingMode.DEFAULT,
                widget=forms.RadioSelect,
            )
            field.kind = "streaming"  # type: ignore[attr-defined]
            self.fields["streaming_mode"] = field

    def filter_data(self) -> FilterData:
        return FilterData(name=self.filter_name, settings=dict(self.cleaned_data))


def usable_blocklists(resource: Resource) -> list[Blocklist]:
    """The resource's own lists, then the built-in ones (the Profanity list)."""
    own = list(Blocklist.objects.filter(resource=resource).order_by("name"))
    return own + list(Blocklist.objects.filter(resource__isnull=True).order_by("name"))


class BlocklistsForm(ActionValidatedForm):
    """One choice per (list, direction): not used, blocking or annotate only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blocklists = usable_blocklists(self.resource)
        for blocklist in self.blocklists:
            for direction in ("prompt", "completion"):
                self.fields[self.key(blocklist, direction)] = forms.ChoiceField(
                    label=f"{blocklist.name} on {direction}s",
                    choices=ATTACH_CHOICES,
                    required=False,
                )

    @staticmethod
    def key(blocklist: Blocklist, direction: str) -> str:
        return f"{direction}__{blocklist.pk.hex}"

    def rows(self) -> list[tuple[Blocklist, Any, Any]]:
        return [
            (
                blocklist,
                self[self.key(blocklist, "prompt")],
                self[self.key(blocklist, "completion")],
            )
            for blocklist in self.blocklists
        ]

    def attachments(self) -> list[list[Any]]:
        """[blocklist id, direction, blocking] for every used list: the wizard's stored form."""
        chosen = []
        for blocklist in self.blocklists:
            for direction in ("prompt", "completion"):
                value = self.cleaned_data.get(self.key(blocklist, direction))
                if value:
                    chosen.append([str(blocklist.pk), direction, value == "block"])
        return chosen

    @staticmethod
    def initial_from(attachments: list[list[Any]]) -> dict[str, str]:
        initial = {}
        for blocklist_id, direction, blocking in attachments:
            key = f"{direction}__{blocklist_id.replace('-', '')}"
            initial[key] = "block" if blocking else "annotate"
        return initial

    def filter_data(self) -> FilterData:
        # Only the resource's own and built-in lists are offered, so no tenant check is needed
        # here; create_filter still refuses foreign lists.
        return FilterData(name=self.filter_name)


class DeploymentsForm(forms.Form):
    """Optionally assign the filter; replacing another filter needs its own tick per deployment."""

    assign = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Assign to"
    )
    replace = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Replace the current filter"
    )

    def __init__(
        self, *args: Any, resource: Resource, instance: ContentFilter | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.deployments = list(
            Deployment.objects.filter(resource=resource).select_related("content_filter")
        )
        choices = [(str(deployment.pk), deployment.name) for deployment in self.deployments]
        cast(forms.ChoiceField, self.fields["assign"]).choices = choices
        cast(forms.ChoiceField, self.fields["replace"]).choices = choices

    def uses_this_filter(self, deployment: Deployment) -> bool:
        return self.instance is not None and deployment.content_filter_id == self.instance.pk

    def needs_confirmation(self, deployment: Deployment) -> bool:
        return deployment.content_filter_id is not None and not self.uses_this_filter(deployment)

    def rows(self) -> list[dict[str, Any]]:
        assign = set(self["assign"].value() or [])
        replace = set(self["replace"].value() or [])
        return [
            {
                "deployment": deployment,
                "id": str(deployment.pk),
                "assigned": str(deployment.pk) in assign,
                "replace": str(deployment.pk) in replace,
                "current": deployment.content_filter,
                "already": self.uses_this_filter(deployment),
                "needs_confirmation": self.needs_confirmation(deployment),
            }
            for deployment in self.deployments
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        replace = set(cleaned.get("replace", []))
        by_id = {str(deployment.pk): deployment for deployment in self.deployments}
        for deployment_id in cleaned.get("assign", []):
            deployment = by_id[deployment_id]
            if self.needs_confirmation(deployment) and deployment_id not in replace:
                assert deployment.content_filter is not None
                self.add_error(
                    "replace",
                    f"Deployment '{deployment.name}' already uses filter "
                    f"'{deployment.content_filter.name}'. Tick “replace” to confirm replacing it.",
                )
        # Only keep confirmations for deployments actually being assigned.
        cleaned["replace"] = sorted(replace & set(cleaned.get("assign", [])))
        return cleaned


# An exported policy is a few kB; this leaves room for long descriptions and many lists.
MAX_POLICY_CHARS = 200_000


class ImportForm(forms.Form):
    policy = forms.CharField(
        max_length=MAX_POLICY_CHARS,
        label="RAI policy JSON",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text="Paste an exported policy, or the ARM envelope with “properties”.",
    )
    name = forms.CharField(
        max_length=64, required=False, help_text="Leave empty to use the policy's own name."
    )

    def clean_policy(self) -> Any:
        try:
            return json.loads(self.cleaned_data["policy"])
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"This is not valid JSON: {exc.msg} (line {exc.lineno})."
            ) from exc
        except RecursionError as exc:
            # Thousands of nested brackets exhaust the decoder's stack; no policy nests so deep.
            raise ValidationError("This JSON is nested too deeply to be an RAI policy.") from exc


# --- Protected material -----------------------------------------------------------------------

MAX_UPLOAD_FILES = 50
# Four bytes per character at most in UTF-8: larger files cannot fit MAX_WORK_CHARS.
MAX_UPLOAD_FILE_BYTES = MAX_WORK_CHARS * 4


class ProtectedWorkForm(forms.Form):
    """One work typed or pasted in. Whether it is long enough is filters.protected's decision."""

    title = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=ProtectedWork.Kind.choices, initial=ProtectedWork.Kind.TEXT)
    content = forms.CharField(
        strip=False,
        max_length=MAX_WORK_CHARS,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        help_text="The whole text or code. A few dozen words at least, so it can be recognised.",
    )
    source_url = forms.URLField(
        label="Source URL",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Cited when a completion reproduces the work.",
    )
    license = forms.CharField(label="Licence", max_length=100, required=False)

    def work(self) -> WorkInput:
        return WorkInput(**self.cleaned_data)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented pattern for an <input type=file multiple>."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if not data:
            single(None, initial)  # raises "This field is required." when it is
            return []
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ProtectedUploadForm(forms.Form):
    """One work per uploaded file, titled by its name; the kind follows the suffix, as
    `manage.py import_protected` decides it."""

    # Not "files": that is the form's own attribute holding request.FILES.
    uploads = MultipleFileField(
        label="Files",
        help_text="Text (.txt, .md, .rst) or source code (.py, .js, .go, …), UTF-8, "
        f"up to {MAX_UPLOAD_FILES} files.",
    )
    source_url = forms.URLField(
        label="Source URL prefix",
        max_length=400,
        required=False,
        assume_scheme="https",
        help_text="Each file is cited as this prefix followed by its name.",
    )
    license = forms.CharField(label="Licence", max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: it shares a page with ProtectedWorkForm, which has fields of these names.
        kwargs.setdefault("auto_id", "upload_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        uploads: list[UploadedFile] = cleaned.get("uploads") or []
        if len(uploads) > MAX_UPLOAD_FILES:
            self.add_error("uploads", f"Upload at most {MAX_UPLOAD_FILES} files at once.")
            return cleaned
        works = []
        for upload in uploads:
            name = upload.name or "unnamed"
            problem, content = _upload_problem(upload)
            if problem:
                self.add_error("uploads", f"{name}: {problem}")
                continue
            prefix = cleaned.get("source_url", "")
            works.append(
                WorkInput(
                    title=name,
                    content=content,
                    kind=kind_for_filename(name) or ProtectedWork.Kind.TEXT,
                    source_url=f"{prefix.rstrip('/')}/{name}" if prefix else "",
                    license=cleaned.get("license", ""),
                )
            )
        cleaned["works"] = works
        return cleaned


def _upload_problem(upload: UploadedFile) -> tuple[str, str]:
    """(why the file cannot be a work or '', its text)."""
    if kind_for_filename(upload.name or "") is None:
        return "only text (.txt, .md, .rst) and source-code files can be registered.", ""
    if (upload.size or 0) > MAX_UPLOAD_FILE_BYTES:
        return f"the file is larger than {MAX_UPLOAD_FILE_BYTES // 1000:,} kB.", ""
    try:
        return "", upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return "the file is not UTF-8 text.", ""
