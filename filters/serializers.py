"""Filters over REST, in the shape of docs/filter-config.md.

A filter reads as its config dict (prompt and completion sides) plus id, description and version.
Writes use the same shape; omitted settings keep their current values (defaults on create), and a
side's `blocklists`, when given, replaces that side's attachments. Which settings are allowed
(the approval rule) and which lists may be attached are decided by filters.actions.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import DateTimeField

from guardsite.serializers import IndexedListSerializer, StrictSerializer

from .config import config_diff
from .models import (
    DIRECTIONS,
    HARM_CATEGORIES,
    OPTIONAL_MODELS,
    ContentFilter,
    ContentFilterVersion,
    ModelAction,
    ProtectedWork,
    Severity,
    StreamingMode,
)
from .protected import MAX_WORK_CHARS, WorkInput

MAX_ATTACHMENTS_PER_SIDE = 100
MAX_WORKS_PER_UPLOAD = 100


# One named schema component per choice set, so the four categories share one "Severity" enum.
@extend_schema_field(
    {"type": "string", "enum": list(Severity.values), "description": "docs/filter-config.md"},
    component_name="Severity",
)
class SeverityField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Severity.choices, required=False, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": list(ModelAction.values)}, component_name="ModelAction"
)
class ModelActionField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ModelAction.choices, required=False, **kwargs)


class CategoriesSerializer(StrictSerializer):
    hate = SeverityField()
    sexual = SeverityField()
    violence = SeverityField()
    self_harm = SeverityField()


class AttachedBlocklistSerializer(StrictSerializer):
    id = serializers.UUIDField()
    name = serializers.CharField(read_only=True)
    blocking = serializers.BooleanField(
        required=False, help_text="Default true. False: a match is annotated, not filtered."
    )

    class Meta:
        list_serializer_class = IndexedListSerializer


def _attachments() -> AttachedBlocklistSerializer:
    return AttachedBlocklistSerializer(
        many=True,
        required=False,
        max_length=MAX_ATTACHMENTS_PER_SIDE,  # type: ignore[call-arg]  # ListSerializer's
    )


class PromptSerializer(StrictSerializer):
    categories = CategoriesSerializer(required=False)
    jailbreak = ModelActionField()
    indirect_attack = ModelActionField()
    profanity = ModelActionField()
    blocklists = _attachments()


class CompletionSerializer(StrictSerializer):
    categories = CategoriesSerializer(required=False)
    protected_material_text = ModelActionField()
    protected_material_code = ModelActionField()
    profanity = ModelActionField()
    blocklists = _attachments()
    streaming_mode = serializers.ChoiceField(choices=StreamingMode.choices, required=False)


class ContentFilterSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(max_length=64)
    description = serializers.CharField(max_length=1024, allow_blank=True, required=False)
    is_builtin = serializers.BooleanField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="The newest version's number.")
    prompt = PromptSerializer(required=False)
    completion = CompletionSerializer(required=False)
    classifier = serializers.CharField(
        max_length=64,
        allow_blank=True,
        required=False,
        help_text="A classifier profile the operator configured, 'local' for the trained models, "
        "or '' for the global default.",
    )
    deployments = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Deployments using this filter."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: ContentFilter) -> dict[str, Any]:
        config = instance.as_config()
        timestamp = DateTimeField()
        return {
            "id": str(instance.pk),
            "name": instance.name,
            "description": instance.description,
            "is_builtin": instance.is_builtin,
            "version": instance.version,
            "prompt": config["prompt"],
            "completion": config["completion"],
            "classifier": instance.classifier,
            "deployments": sorted(instance.deployments.values_list("name", flat=True)),
            "created_at": timestamp.to_representation(instance.created_at),
            "updated_at": timestamp.to_representation(instance.updated_at),
        }


def settings_from_validated(validated: dict[str, Any]) -> dict[str, str]:
    """Model field values (prompt_hate, streaming_mode, ...) from a validated body."""
    values: dict[str, str] = {}
    for direction in DIRECTIONS:
        side = validated.get(direction, {})
        for category in HARM_CATEGORIES:
            if category in side.get("categories", {}):
                values[f"{direction}_{category}"] = side["categories"][category]
        for model in OPTIONAL_MODELS[direction]:
            if model in side:
                values[f"{direction}_{model}"] = side[model]
    if "streaming_mode" in validated.get("completion", {}):
        values["streaming_mode"] = validated["completion"]["streaming_mode"]
    if "classifier" in validated:
        values["classifier"] = validated["classifier"]
    return values


class FilterVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = ContentFilterVersion
        fields = ["number", "note", "created_by", "created_at"]
        read_only_fields = fields


class ConfigChangeSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="e.g. prompt.categories.hate")
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class FilterVersionDetailSerializer(FilterVersionSerializer):
    config = serializers.JSONField(read_only=True, help_text="As in docs/filter-config.md.")
    changes = serializers.SerializerMethodField(
        help_text="What this version changed against the previous one (all of it for version 1)."
    )

    class Meta(FilterVersionSerializer.Meta):
        fields = [*FilterVersionSerializer.Meta.fields, "config", "changes"]
        read_only_fields = fields

    @extend_schema_field(ConfigChangeSerializer(many=True))
    def get_changes(self, version: ContentFilterVersion) -> list[dict[str, Any]]:
        previous = (
            ContentFilterVersion.objects.filter(
                content_filter_id=version.content_filter_id, number__lt=version.number
            )
            .order_by("-number")
            .values_list("config", flat=True)
            .first()
        )
        return [
            {"path": path, "before": before, "after": after}
            for path, before, after in config_diff(previous, version.config)
        ]


class RaiContentFilterSerializer(serializers.Serializer):
    name = serializers.CharField()
    enabled = serializers.BooleanField()
    blocking = serializers.BooleanField()
    severityThreshold = serializers.ChoiceField(choices=["Low", "Medium", "High"], required=False)
    source = serializers.ChoiceField(choices=["Prompt", "Completion"])  # type: ignore[assignment]


class RaiBlocklistSerializer(serializers.Serializer):
    blocklistName = serializers.CharField()
    blocking = serializers.BooleanField()
    source = serializers.ChoiceField(choices=["Prompt", "Completion"])  # type: ignore[assignment]


class RaiPropertiesSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["Default", "Asynchronous_filter"])
    basePolicyName = serializers.CharField(required=False)
    contentFilters = RaiContentFilterSerializer(many=True)
    customBlocklists = RaiBlocklistSerializer(many=True)


class RaiPolicySerializer(serializers.Serializer):
    """The cloud's RAI policy (shared/spec/compat-api.md section 4); for the schema only.

    Import parses the body with filters.config.parse_rai_policy, which reports everything it
    does not understand.
    """

    name = serializers.CharField(max_length=64)
    properties = RaiPropertiesSerializer()


@extend_schema_field(
    {"type": "string", "enum": list(ProtectedWork.Kind.values)}, component_name="ProtectedWorkKind"
)
class WorkKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ProtectedWork.Kind.choices, **kwargs)


class ProtectedWorkSerializer(StrictSerializer):
    """A protected work as lists show it: metadata and the content's length, never the content.

    Whether the content is long enough to fingerprint is decided by filters.protected.work_error,
    so REST, pages and import_protected give the same reason.
    """

    id = serializers.UUIDField(read_only=True)
    kind = WorkKindField(
        default=ProtectedWork.Kind.TEXT,
        help_text="text: lyrics, articles, recipes, web content; code: source code.",
    )
    title = serializers.CharField(max_length=300)
    content = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=MAX_WORK_CHARS,
        help_text="The work's text. Long enough to fingerprint (a few dozen words at least).",
    )
    source_url = serializers.URLField(
        max_length=500, allow_blank=True, required=False, help_text="Cited when it is detected."
    )
    license = serializers.CharField(
        max_length=100, allow_blank=True, required=False, help_text="Cited with the source URL."
    )
    content_length = serializers.SerializerMethodField(help_text="Characters of content.")
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True
    )
    created_at = serializers.DateTimeField(read_only=True)

    class Meta:
        list_serializer_class = IndexedListSerializer

    def get_content_length(self, work: ProtectedWork) -> int:
        # Lists annotate the length and defer the content itself.
        annotated = getattr(work, "content_length", None)
        return annotated if annotated is not None else len(work.content)


class ProtectedWorkDetailSerializer(ProtectedWorkSerializer):
    content = serializers.CharField(
        trim_whitespace=False, max_length=MAX_WORK_CHARS, help_text="The work's text."
    )


class ProtectedWorkBulkSerializer(StrictSerializer):
    works = ProtectedWorkSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_WORKS_PER_UPLOAD,  # type: ignore[call-arg]  # ListSerializer's
    )


class ProtectedWorkBulkResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    works = ProtectedWorkSerializer(many=True)


def work_input(validated: dict[str, Any]) -> WorkInput:
    return WorkInput(
        title=validated["title"],
        content=validated["content"],
        kind=validated.get("kind", ProtectedWork.Kind.TEXT),
        source_url=validated.get("source_url", ""),
        license=validated.get("license", ""),
    )
