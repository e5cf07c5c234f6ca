"""Every change to a content filter goes through these functions, whatever the caller."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from blocklists.models import Blocklist
from guardsite.activity import record_activity
from guardsite.models import NAME_VALIDATOR, Resource

from .config import SETTING_FIELDS, settings_from_config, settings_of
from .models import (
    DIRECTIONS,
    HARM_CATEGORIES,
    OPTIONAL_MODELS,
    RESTRICTED_SEVERITIES,
    ContentFilter,
    ContentFilterVersion,
    FilterBlocklist,
    ModelAction,
    Severity,
    StreamingMode,
)

DEFAULT_FILTER_NAME = "Default"
APPROVAL_MESSAGE = (
    "'{setting}' needs an approved modified content filters application for resource "
    "'{resource}'. Choose Low, Medium or High, or ask an administrator to record the approval."
)


@dataclass
class Attachment:
    blocklist: Blocklist
    direction: str
    blocking: bool = True


@dataclass
class FilterData:
    """What a caller may set on a filter. Omitted settings keep their defaults (or values)."""

    name: str
    description: str = ""
    settings: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


def default_filter() -> ContentFilter:
    """The read-only built-in filter used by any deployment that has none."""
    content_filter, _ = ContentFilter.objects.get_or_create(
        resource=None,
        name=DEFAULT_FILTER_NAME,
        defaults={"is_builtin": True, "description": "Built-in default, read-only."},
    )
    return content_filter


def validate_filter_data(
    resource: Resource, data: FilterData, *, instance: ContentFilter | None = None
) -> None:
    """Raise one ValidationError listing every problem, keyed by field name."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    name = data.name.strip()
    if not name:
        add("name", "A filter needs a name.")
    elif len(name) > 64:
        add("name", "A filter name has at most 64 characters.")
    else:
        try:
            NAME_VALIDATOR(name)
        except ValidationError as exc:
            add("name", exc.messages[0])
        else:
            # Only a valid name is looked up: PostgreSQL refuses NUL even in a query.
            same_name = ContentFilter.objects.filter(resource=resource, name=name)
            if instance is not None:
                same_name = same_name.exclude(pk=instance.pk)
            if same_name.exists():
                add("name", f"Resource '{resource}' already has a filter named '{name}'.")
    if len(data.description) > 1024:
        add("description", "A description has at most 1,024 characters.")

    for key, value in data.settings.items():
        if key not in SETTING_FIELDS:
            add(key, "Unknown setting.")
            continue
        allowed = _allowed_values(key)
        if value not in allowed:
            if key == "classifier":
                names = ", ".join(["local", *settings.GUARDSITE_CLASSIFIERS])
                add(key, f"No classifier profile {value!r}: choose {names}, or '' for the default.")
            else:
                add(key, f"Choose one of: {', '.join(allowed)}.")
            continue
        restricted = value in RESTRICTED_SEVERITIES and key.split("_", 1)[1] in HARM_CATEGORIES
        if key == "streaming_mode" and value == StreamingMode.ASYNCHRONOUS:
            restricted = True
        if restricted and not resource.modified_content_filters_approved:
            label = {**dict(Severity.choices), **dict(StreamingMode.choices)}.get(value, value)
            add(key, APPROVAL_MESSAGE.format(setting=label, resource=resource))

    seen = set()
    for attachment in data.attachments:
        blocklist = attachment.blocklist
        if blocklist.resource_id not in (None, resource.pk):
            # Same message as for a missing list: another tenant's list is not acknowledged.
            add("blocklists", "No such blocklist.")
            continue
        if attachment.direction not in DIRECTIONS:
            add("blocklists", "A blocklist attaches to 'prompt' or 'completion'.")
            continue
        attached = (blocklist.pk, attachment.direction)
        if attached in seen:
            add("blocklists", f"'{blocklist}' is attached twice to {attachment.direction}s.")
        seen.add(attached)

    if errors:
        raise ValidationError(errors)


def _allowed_values(key: str) -> list[str]:
    if key == "classifier":
        # "" is the operator's global default; profiles come from the environment.
        return ["", "local", *settings.GUARDSITE_CLASSIFIERS]
    if key == "streaming_mode":
        return list(StreamingMode.values)
    if key.split("_", 1)[1] in HARM_CATEGORIES:
        return list(Severity.values)
    return list(ModelAction.values)


def create_filter(resource: Resource, data: FilterData, *, acting_user: Any) -> ContentFilter:
    validate_filter_data(resource, data)
    with transaction.atomic():
        content_filter = ContentFilter(
            resource=resource,
            name=data.name.strip(),
            description=data.description,
            created_by=acting_user if acting_user.is_authenticated else None,
        )
        for key, value in data.settings.items():
            setattr(content_filter, key, value)
        _save_or_name_clash(content_filter, resource)
        _replace_attachments(content_filter, data.attachments)
        version = _write_version(content_filter, acting_user, note="Created")
        record_activity(
            resource=resource,
            actor=acting_user,
            action="filter.created",
            target=content_filter,
            after=version.config,
        )
    return content_filter


def update_filter(
    content_filter: ContentFilter, data: FilterData, *, acting_user: Any, note: str = ""
) -> ContentFilter:
    _refuse_builtin(content_filter)
    resource = content_filter.resource
    assert resource is not None
    validate_filter_data(resource, data, instance=content_filter)
    with transaction.atomic():
        # Lock the row so two concurrent edits get consecutive version numbers.
        locked = ContentFilter.objects.select_for_update().get(pk=content_filter.pk)
        before = locked.as_config()
        locked.name = data.name.strip()
        locked.description = data.description
        for key, value in data.settings.items():
            setattr(locked, key, value)
        _save_or_name_clash(locked, resource)
        _replace_attachments(locked, data.attachments)
        version = _write_version(locked, acting_user, note=note or "Edited")
        record_activity(
            resource=resource,
            actor=acting_user,
            action="filter.updated",
            target=locked,
            before=before,
            after=version.config,
        )
    content_filter.refresh_from_db()
    return content_filter


def restore_filter_version(
    content_filter: ContentFilter, number: int, *, acting_user: Any
) -> ContentFilter:
    """Make an earlier version current again, as a new version (history is never rewritten)."""
    _refuse_builtin(content_filter)
    try:
        version = content_filter.versions.get(number=number)
    except ContentFilterVersion.DoesNotExist as exc:
        raise ValidationError({"version": f"Filter has no version {number}."}) from exc
    config = version.config
    resource = content_filter.resource
    attachments = []
    for direction in DIRECTIONS:
        for attached in config[direction].get("blocklists", []):
            blocklist = _usable_blocklists(resource).filter(pk=attached["id"]).first()
            if blocklist is None:
                raise ValidationError(
                    {
                        "version": f"Version {number} uses blocklist '{attached['name']}', "
                        "which no longer exists; it cannot be restored as it was."
                    }
                )
            attachments.append(Attachment(blocklist, direction, attached["blocking"]))
    data = FilterData(
        name=content_filter.name,
        description=content_filter.description,
        settings=settings_from_config(config),
        attachments=attachments,
    )
    return update_filter(
        content_filter, data, acting_user=acting_user, note=f"Restored version {number}"
    )


def delete_filter(content_filter: ContentFilter, *, acting_user: Any) -> None:
    _refuse_builtin(content_filter)
    with transaction.atomic():
        # Lock the filter first, as update_filter does, so a concurrent edit finishes writing its
        # version before the delete (or the delete wins and the edit finds no filter).
        locked = ContentFilter.objects.select_for_update().filter(pk=content_filter.pk).first()
        if locked is None:
            return  # deleted meanwhile by someone else: the outcome asked for holds
        content_filter = locked
        deployments = list(
            content_filter.deployments.select_for_update().values_list("name", flat=True)
        )
        if deployments:
            raise ValidationError(
                "Filter '%(filter)s' is assigned to %(deployments)s. Assign another filter "
                "to those deployments before deleting it.",
                code="in_use",
                params={
                    "filter": content_filter.name,
                    "deployments": ", ".join(sorted(deployments)),
                },
            )
        record_activity(
            resource=content_filter.resource,
            actor=acting_user,
            action="filter.deleted",
            target=content_filter,
            before=content_filter.as_config(),
        )
        content_filter.delete()


def filter_data_from_instance(content_filter: ContentFilter) -> FilterData:
    return FilterData(
        name=content_filter.name,
        description=content_filter.description,
        settings=settings_of(content_filter),
        attachments=[
            Attachment(attached.blocklist, attached.direction, attached.blocking)
            for attached in content_filter.attachments.select_related("blocklist")
        ],
    )


def resolve_blocklists(
    resource: Resource, wanted: Iterable[tuple[str, str, bool]], *, by: str = "name"
) -> list[Attachment]:
    """Attachments from (name-or-id, direction, blocking); unknown lists are one error."""
    usable = _usable_blocklists(resource)
    attachments, missing = [], []
    for key, direction, blocking in wanted:
        try:
            blocklist = usable.filter(**{by: key}).first()
        except (ValidationError, ValueError):
            blocklist = None
        if blocklist is None:
            missing.append(str(key))
        else:
            attachments.append(Attachment(blocklist, direction, blocking))
    if missing:
        raise ValidationError({"blocklists": [f"No such blocklist: {', '.join(missing)}."]})
    return attachments


def _usable_blocklists(resource: Resource | None):
    from django.db.models import Q

    return Blocklist.objects.filter(Q(resource=resource) | Q(resource__isnull=True))


def _refuse_builtin(content_filter: ContentFilter) -> None:
    if content_filter.is_builtin:
        raise ValidationError("The built-in default filter is read-only.", code="read_only")


def _save_or_name_clash(content_filter: ContentFilter, resource: Resource) -> None:
    try:
        with transaction.atomic():
            content_filter.save()
    except IntegrityError as exc:
        # Lost a race with another request creating the same name.
        raise ValidationError(
            {"name": f"Resource '{resource}' already has a filter named '{content_filter.name}'."}
        ) from exc


def _replace_attachments(content_filter: ContentFilter, attachments: list[Attachment]) -> None:
    content_filter.attachments.all().delete()
    FilterBlocklist.objects.bulk_create(
        FilterBlocklist(
            content_filter=content_filter,
            blocklist=attachment.blocklist,
            direction=attachment.direction,
            blocking=attachment.blocking,
        )
        for attachment in attachments
    )


def _write_version(content_filter: ContentFilter, acting_user: Any, *, note: str):
    content_filter.version += 1
    content_filter.save(update_fields=["version", "updated_at"])
    return ContentFilterVersion.objects.create(
        content_filter=content_filter,
        number=content_filter.version,
        config=content_filter.as_config(),
        note=note,
        created_by=acting_user if acting_user.is_authenticated else None,
    )


__all__ = [
    "OPTIONAL_MODELS",
    "Attachment",
    "FilterData",
    "create_filter",
    "default_filter",
    "delete_filter",
    "filter_data_from_instance",
    "resolve_blocklists",
    "restore_filter_version",
    "update_filter",
    "validate_filter_data",
]
