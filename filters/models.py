import uuid

from django.conf import settings
from django.db import models

from blocklists.models import Blocklist
from guardsite.models import Resource

HARM_CATEGORIES = ("hate", "sexual", "violence", "self_harm")
DIRECTIONS = ("prompt", "completion")
# Optional models per direction, as the references place them.
OPTIONAL_MODELS = {
    "prompt": ("jailbreak", "indirect_attack", "profanity"),
    "completion": ("protected_material_text", "protected_material_code", "profanity"),
}


class Severity(models.TextChoices):
    LOW = "low", "Low (filter low, medium and high)"
    MEDIUM = "medium", "Medium (filter medium and high)"
    HIGH = "high", "High (filter high only)"
    ANNOTATE = "annotate", "Annotate only"
    OFF = "off", "No filter"


# Settings that need an approved modified-content-filter application for the resource.
RESTRICTED_SEVERITIES = frozenset({Severity.ANNOTATE, Severity.OFF})


class ModelAction(models.TextChoices):
    OFF = "off", "Off"
    ANNOTATE = "annotate", "Annotate"
    BLOCK = "block", "Annotate and block"


class StreamingMode(models.TextChoices):
    DEFAULT = "default", "Default (buffered, checked before release)"
    ASYNCHRONOUS = "asynchronous", "Asynchronous filter"


def _severity_field() -> models.CharField:
    return models.CharField(max_length=16, choices=Severity.choices, default=Severity.MEDIUM)


def _model_field(default: str) -> models.CharField:
    return models.CharField(max_length=16, choices=ModelAction.choices, default=default)


class ContentFilter(models.Model):
    """A content filter configuration. The built-in default has no resource and is read-only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="content_filters", null=True, blank=True
    )
    name = models.CharField(max_length=64)
    description = models.CharField(max_length=1024, blank=True)
    is_builtin = models.BooleanField(default=False)

    prompt_hate = _severity_field()
    prompt_sexual = _severity_field()
    prompt_violence = _severity_field()
    prompt_self_harm = _severity_field()
    prompt_jailbreak = _model_field(ModelAction.BLOCK)
    prompt_indirect_attack = _model_field(ModelAction.OFF)
    prompt_profanity = _model_field(ModelAction.OFF)

    completion_hate = _severity_field()
    completion_sexual = _severity_field()
    completion_violence = _severity_field()
    completion_self_harm = _severity_field()
    completion_protected_material_text = _model_field(ModelAction.BLOCK)
    completion_protected_material_code = _model_field(ModelAction.BLOCK)
    completion_profanity = _model_field(ModelAction.OFF)
    streaming_mode = models.CharField(
        max_length=16, choices=StreamingMode.choices, default=StreamingMode.DEFAULT
    )
    # A classifier profile name from settings.GUARDSITE_CLASSIFIERS, "local" for the trained
    # models, or "" for the operator's global default (settings.GUARDSITE_CLASSIFIER).
    classifier = models.CharField(max_length=64, blank=True, default="")

    blocklists: "models.ManyToManyField[Blocklist, FilterBlocklist]" = models.ManyToManyField(
        Blocklist, through="FilterBlocklist", related_name="content_filters", blank=True
    )
    # The number of the newest ContentFilterVersion.
    version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "name"], name="filter_name_per_resource"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(resource__isnull=True), name="builtin_filter"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def as_config(self) -> dict:
        """The plain dictionary of docs/filter-config.md that the engine and versions use."""
        config: dict = {"name": self.name}
        attachments = list(self.attachments.select_related("blocklist").order_by("blocklist__name"))
        for direction in DIRECTIONS:
            side: dict = {
                "categories": {
                    category: getattr(self, f"{direction}_{category}")
                    for category in HARM_CATEGORIES
                }
            }
            for model_name in OPTIONAL_MODELS[direction]:
                side[model_name] = getattr(self, f"{direction}_{model_name}")
            side["blocklists"] = [
                {
                    "id": str(attachment.blocklist_id),
                    "name": attachment.blocklist.name,
                    "blocking": attachment.blocking,
                }
                for attachment in attachments
                if attachment.direction == direction
            ]
            config[direction] = side
        config["completion"]["streaming_mode"] = self.streaming_mode
        if self.classifier:
            config["classifier"] = self.classifier
        return config


class FilterBlocklist(models.Model):
    """A blocklist attached to one direction of a filter, blocking or annotate-only."""

    content_filter = models.ForeignKey(
        ContentFilter, on_delete=models.CASCADE, related_name="attachments"
    )
    # PROTECT: a list in use by a filter cannot vanish from under it.
    blocklist = models.ForeignKey(Blocklist, on_delete=models.PROTECT, related_name="attachments")
    direction = models.CharField(
        max_length=16, choices=[("prompt", "Prompt"), ("completion", "Completion")]
    )
    blocking = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_filter", "blocklist", "direction"],
                name="attach_once_per_direction",
            )
        ]

    def __str__(self) -> str:
        mode = "blocking" if self.blocking else "annotate only"
        return f"{self.blocklist} on {self.direction} ({mode})"


class ContentFilterVersion(models.Model):
    """An immutable snapshot of a filter's configuration, written by every change."""

    content_filter = models.ForeignKey(
        ContentFilter, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    config = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["content_filter", "number"], name="one_number_each")
        ]

    def __str__(self) -> str:
        return f"{self.content_filter} v{self.number}"


class ProtectedWork(models.Model):
    """A registered work whose reproduction a completion is checked for.

    Works with no resource are global and apply to every resource's completions.
    """

    class Kind(models.TextChoices):
        TEXT = "text", "Text (lyrics, articles, recipes, web content)"
        CODE = "code", "Source code"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="protected_works", null=True, blank=True
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    title = models.CharField(max_length=300)
    content = models.TextField()
    source_url = models.URLField(max_length=500, blank=True)
    license = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "kind", "title"], name="protected_work_title_per_resource"
            )
        ]

    def __str__(self) -> str:
        return self.title
