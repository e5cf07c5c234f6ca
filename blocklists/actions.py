"""Every change to a blocklist or its items goes through these functions."""

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from guardsite.activity import record_activity
from guardsite.engine.regex import validate_regex
from guardsite.models import NAME_VALIDATOR, Resource

from .models import (
    MAX_DESCRIPTION,
    MAX_ITEM_TEXT,
    MAX_ITEMS_PER_RESOURCE,
    MAX_NAME,
    Blocklist,
    BlocklistItem,
)

CSV_HEADER = ("text", "isregex", "description")
TRUE_WORDS = {"true", "1", "yes", "y"}
FALSE_WORDS = {"false", "0", "no", "n", ""}


@dataclass
class ItemInput:
    text: str
    is_regex: bool = False
    description: str = ""
    id: Any = None


@dataclass
class ParsedLine:
    """One line of a bulk import, as the preview shows it."""

    line: int
    text: str
    is_regex: bool = False
    description: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def item_error(item: ItemInput) -> str:
    """Why an item cannot be stored, or '' when it can."""
    if not item.text or not item.text.strip():
        return "The text is empty."
    if len(item.text) > MAX_ITEM_TEXT:
        return f"The text has {len(item.text)} characters; at most {MAX_ITEM_TEXT} are allowed."
    if len(item.description) > MAX_DESCRIPTION:
        return f"The description has more than {MAX_DESCRIPTION} characters."
    if item.is_regex:
        reason = validate_regex(item.text)
        if reason:
            return reason
    return ""


def validate_blocklist_name(resource: Resource | None, name: str) -> None:
    if not name:
        raise ValidationError({"name": "A blocklist needs a name."})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"A blocklist name has at most {MAX_NAME} characters."})
    try:
        NAME_VALIDATOR(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    if Blocklist.objects.filter(resource=resource, name=name).exists():
        raise ValidationError({"name": f"Resource '{resource}' already has a list named '{name}'."})


def create_blocklist(
    resource: Resource, *, name: str, description: str = "", acting_user: Any
) -> Blocklist:
    validate_blocklist_name(resource, name)
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError({"description": "A description has at most 1,024 characters."})
    with transaction.atomic():
        try:
            with transaction.atomic():
                blocklist = Blocklist.objects.create(
                    resource=resource,
                    name=name,
                    description=description,
                    created_by=acting_user if acting_user.is_authenticated else None,
                )
        except IntegrityError as exc:
            raise ValidationError(
                {"name": f"Resource '{resource}' already has a list named '{name}'."}
            ) from exc
        record_activity(
            resource=resource,
            actor=acting_user,
            action="blocklist.created",
            target=blocklist,
            after={"name": name, "description": description},
        )
    return blocklist


def update_blocklist(blocklist: Blocklist, *, description: str, acting_user: Any) -> Blocklist:
    _refuse_builtin(blocklist)
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError({"description": "A description has at most 1,024 characters."})
    with transaction.atomic():
        before = {"description": blocklist.description}
        blocklist.description = description
        blocklist.save(update_fields=["description", "updated_at"])
        record_activity(
            resource=blocklist.resource,
            actor=acting_user,
            action="blocklist.updated",
            target=blocklist,
            before=before,
            after={"description": description},
        )
    return blocklist


def delete_blocklist(blocklist: Blocklist, *, acting_user: Any) -> None:
    _refuse_builtin(blocklist)
    with transaction.atomic():
        filters = sorted(set(blocklist.attachments.values_list("content_filter__name", flat=True)))
        if filters:
            raise ValidationError(
                "Blocklist '%(name)s' is used by the filters %(filters)s. Detach it first.",
                code="in_use",
                params={"name": blocklist.name, "filters": ", ".join(filters)},
            )
        record_activity(
            resource=blocklist.resource,
            actor=acting_user,
            action="blocklist.deleted",
            target=blocklist,
            before={"name": blocklist.name, "items": blocklist.items.count()},
        )
        blocklist.delete()


def add_items(
    blocklist: Blocklist, items: list[ItemInput], *, acting_user: Any
) -> list[BlocklistItem]:
    """Add or update items, all or nothing.

    An item with an id updates that item; an item whose text (and kind) is already on the list
    updates its description; anything else is created. Errors name the item's position.
    """
    _refuse_builtin(blocklist)
    errors = {}
    seen: set[tuple[str, bool]] = set()
    for index, item in enumerate(items):
        problem = item_error(item)
        key = (item.text, item.is_regex)
        if not problem and key in seen:
            problem = "The same item appears twice in this request."
        seen.add(key)
        if problem:
            errors[f"items[{index}]"] = [problem]
    if errors:
        raise ValidationError(errors)

    resource = blocklist.resource
    assert resource is not None  # built-in lists were refused above
    with transaction.atomic():
        # Serialise writers per resource so the 10,000-item limit holds under concurrency. NO KEY
        # UPDATE: it still lets other transactions insert rows that point at the resource (the
        # activity log), so a concurrent description edit cannot deadlock with this one.
        Resource.objects.select_for_update(no_key=True).filter(pk=resource.pk).first()
        existing = {
            (row.text, row.is_regex): row
            for row in BlocklistItem.objects.filter(
                blocklist=blocklist, text__in=[item.text for item in items]
            )
        }
        by_id = _items_by_id(blocklist, [item.id for item in items if item.id])
        stored, created = [], 0
        for index, item in enumerate(items):
            row = by_id.get(str(item.id)) if item.id else existing.get((item.text, item.is_regex))
            if item.id and row is None:
                raise ValidationError({f"items[{index}]": ["No such item on this list."]})
            if row is None:
                row = BlocklistItem(blocklist=blocklist)
                created += 1
            row.text, row.is_regex, row.description = item.text, item.is_regex, item.description
            stored.append(row)
        total = BlocklistItem.objects.filter(blocklist__resource=resource).count() + created
        if total > MAX_ITEMS_PER_RESOURCE:
            raise ValidationError(
                f"Resource '{resource}' would have {total:,} blocklist items; "
                f"at most {MAX_ITEMS_PER_RESOURCE:,} are allowed."
            )
        try:
            with transaction.atomic():
                for row in stored:
                    row.save()
        except IntegrityError as exc:
            raise ValidationError(
                "An item with that text is already on the list; change it instead."
            ) from exc
        _bump_version(blocklist)
        record_activity(
            resource=resource,
            actor=acting_user,
            action="blocklist.items_added",
            target=blocklist,
            after={"items": [str(row) for row in stored[:50]], "count": len(stored)},
        )
    return stored


def remove_items(blocklist: Blocklist, item_ids: list[Any], *, acting_user: Any) -> int:
    _refuse_builtin(blocklist)
    with transaction.atomic():
        rows = _items_by_id(blocklist, item_ids)
        missing = [str(item_id) for item_id in item_ids if str(item_id) not in rows]
        if missing:
            raise ValidationError(
                {"blocklistItemIds": [f"Not on this list: {', '.join(missing[:10])}."]}
            )
        removed = [str(row) for row in rows.values()]
        BlocklistItem.objects.filter(pk__in=[row.pk for row in rows.values()]).delete()
        _bump_version(blocklist)
        record_activity(
            resource=blocklist.resource,
            actor=acting_user,
            action="blocklist.items_removed",
            target=blocklist,
            before={"items": removed[:50], "count": len(removed)},
        )
    return len(rows)


def parse_bulk(text: str, *, csv_format: bool | None = None) -> list[ParsedLine]:
    """Parse a paste or upload: one item per line, or CSV with text,isRegex,description.

    Nothing is saved: the result is the preview, with the reason beside every invalid line.
    Blank lines are skipped. CSV is recognised by its header unless csv_format says otherwise.
    """
    lines = text.splitlines()
    first = lines[0].strip().lower().replace(" ", "") if lines else ""
    is_csv = csv_format if csv_format is not None else first.startswith("text,isregex")
    parsed = _parse_csv(text) if is_csv else _parse_lines(lines)
    seen: dict[tuple[str, bool], int] = {}
    for row in parsed:
        if row.error:
            continue
        row.error = item_error(ItemInput(row.text, row.is_regex, row.description))
        key = (row.text, row.is_regex)
        if not row.error and key in seen:
            row.error = f"Repeats line {seen[key]}."
        seen.setdefault(key, row.line)
    return parsed


def _parse_lines(lines: list[str]) -> list[ParsedLine]:
    return [
        ParsedLine(line=number, text=line.strip())
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]


def _parse_csv(text: str) -> list[ParsedLine]:
    reader = csv.reader(io.StringIO(text))
    parsed = []
    for number, cells in enumerate(reader, start=1):
        if not cells or not any(cell.strip() for cell in cells):
            continue
        if number == 1 and tuple(c.strip().lower() for c in cells[:3]) == CSV_HEADER[: len(cells)]:
            continue
        if len(cells) > 3:
            parsed.append(ParsedLine(number, cells[0], error="Expected at most 3 columns."))
            continue
        cells = [*cells, "", ""][:3]
        flag = cells[1].strip().lower()
        if flag not in TRUE_WORDS | FALSE_WORDS:
            parsed.append(
                ParsedLine(number, cells[0], error=f"isRegex must be true or false, not {flag!r}.")
            )
            continue
        parsed.append(ParsedLine(number, cells[0].strip(), flag in TRUE_WORDS, cells[2].strip()))
    return parsed


def _items_by_id(blocklist: Blocklist, item_ids: list[Any]) -> dict[str, BlocklistItem]:
    valid = []
    for item_id in item_ids:
        try:
            valid.append(BlocklistItem._meta.pk.to_python(item_id))
        except ValidationError:
            continue  # a malformed id names no item
    return {
        str(row.pk): row for row in BlocklistItem.objects.filter(blocklist=blocklist, pk__in=valid)
    }


def _bump_version(blocklist: Blocklist) -> None:
    Blocklist.objects.filter(pk=blocklist.pk).update(version=F("version") + 1)
    blocklist.refresh_from_db(fields=["version", "updated_at"])


def _refuse_builtin(blocklist: Blocklist) -> None:
    if blocklist.is_builtin:
        raise ValidationError("Built-in blocklists are read-only.", code="read_only")
