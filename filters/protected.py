"""The protected-material registry: works a completion must not reproduce without citation."""

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from guardsite.activity import record_activity
from guardsite.engine.protected import ProtectedIndex
from guardsite.models import Resource

from .models import ProtectedWork

MAX_WORK_CHARS = 200_000
CODE_SUFFIXES = frozenset(
    [
        ".c",
        ".cc",
        ".cpp",
        ".cs",
        ".go",
        ".h",
        ".hpp",
        ".java",
        ".js",
        ".jsx",
        ".kt",
        ".m",
        ".php",
        ".py",
        ".rb",
        ".rs",
        ".scala",
        ".sh",
        ".sql",
        ".swift",
        ".ts",
        ".tsx",
    ]
)
TEXT_SUFFIXES = frozenset({".txt", ".md", ".rst"})


@dataclass
class WorkInput:
    title: str
    content: str
    kind: str = ProtectedWork.Kind.TEXT
    source_url: str = ""
    license: str = ""


def work_error(work: WorkInput) -> str:
    """Why a work cannot be registered, or '' when it can."""
    if work.kind not in ProtectedWork.Kind.values:
        return "kind must be 'text' or 'code'."
    if not work.title.strip() or len(work.title) > 300:
        return "A title of 1 to 300 characters is needed."
    if len(work.content) > MAX_WORK_CHARS:
        return f"The work has more than {MAX_WORK_CHARS:,} characters."
    try:
        # The same fingerprinting the detector uses decides whether the work is long enough.
        ProtectedIndex().add("check", work.title, work.content, kind=work.kind)
    except ValueError as exc:
        return str(exc)
    return ""


def add_protected_work(
    resource: Resource | None, work: WorkInput, *, acting_user: Any
) -> ProtectedWork:
    problem = work_error(work)
    if problem:
        raise ValidationError({"content": problem})
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = ProtectedWork.objects.create(
                    resource=resource,
                    kind=work.kind,
                    title=work.title.strip(),
                    content=work.content,
                    source_url=work.source_url,
                    license=work.license,
                    created_by=acting_user
                    if getattr(acting_user, "is_authenticated", False)
                    else None,
                )
        except IntegrityError as exc:
            raise ValidationError(
                {"title": "A work of that kind and title is registered."}
            ) from exc
        record_activity(
            resource=resource,
            actor=acting_user,
            action="protected_work.added",
            target=row,
            after={"title": row.title, "kind": row.kind, "source_url": row.source_url},
        )
    return row


def delete_protected_work(work: ProtectedWork, *, acting_user: Any) -> None:
    with transaction.atomic():
        record_activity(
            resource=work.resource,
            actor=acting_user,
            action="protected_work.deleted",
            target=work,
            before={"title": work.title, "kind": work.kind},
        )
        work.delete()


def works_from_folder(
    folder: Path, *, kind: str | None = None, license: str = "", source_url: str = ""
) -> list[WorkInput]:
    """One work per file; in a git checkout only tracked files, cited at the checked-out commit.

    Kind follows the file suffix unless given: code suffixes are code, .txt/.md/.rst are text,
    anything else is skipped.
    """
    folder = folder.resolve()
    if not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder.")
    files, base_url = _files_and_base_url(folder)
    works = []
    for path in sorted(files):
        work_kind = kind or kind_for_filename(path.name)
        if work_kind is None or not path.is_file() or path.stat().st_size > MAX_WORK_CHARS * 4:
            continue
        try:
            content = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        relative = path.relative_to(folder).as_posix()
        url = f"{source_url.rstrip('/')}/{relative}" if source_url else ""
        if not url and base_url:
            url = f"{base_url}/{relative}"
        works.append(WorkInput(relative, content, work_kind, url, license))
    return works


def _files_and_base_url(folder: Path) -> tuple[list[Path], str]:
    if not (folder / ".git").exists():
        return [path for path in folder.rglob("*") if ".git" not in path.parts], ""
    tracked = _git(folder, "ls-files", "-z").split("\0")
    remote = _git(folder, "remote", "get-url", "origin").strip()
    commit = _git(folder, "rev-parse", "HEAD").strip()
    base_url = ""
    if remote.startswith("https://") and commit:
        base_url = f"{remote.removesuffix('.git')}/blob/{commit}"
    return [folder / name for name in tracked if name], base_url


def _git(folder: Path, *args: str) -> str:
    try:
        result = subprocess.run(  # noqa: S603 - fixed git arguments, folder given by an admin
            ["git", "-C", str(folder), *args],  # noqa: S607 - git from PATH, arguments are ours
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout if result.returncode == 0 else ""


def kind_for_filename(name: str) -> str | None:
    """'code' or 'text' by the file's suffix, as works_from_folder decides; None for others."""
    suffix = Path(name).suffix.lower()
    if suffix in CODE_SUFFIXES:
        return ProtectedWork.Kind.CODE
    if suffix in TEXT_SUFFIXES:
        return ProtectedWork.Kind.TEXT
    return None


def add_protected_works(
    resource: Resource | None, works: list[WorkInput], *, acting_user: Any, label: str = "works"
) -> list[ProtectedWork]:
    """Register several works, all or nothing.

    Every problem is reported at once, keyed by position (``works[2]``) so the caller can say
    which work was wrong; ``label`` names the list as the caller's form or body calls it.
    """
    errors: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for index, work in enumerate(works):
        problem = work_error(work)
        key = (work.kind, work.title.strip())
        if not problem and key in seen:
            problem = "Another work in this upload has the same kind and title."
        seen.add(key)
        if problem:
            errors[f"{label}[{index}]"] = [problem]
    if errors:
        raise ValidationError(errors)
    rows = []
    with transaction.atomic():
        for index, work in enumerate(works):
            try:
                rows.append(add_protected_work(resource, work, acting_user=acting_user))
            except ValidationError as exc:
                errors[f"{label}[{index}]"] = exc.messages
        if errors:
            # Raising inside the block rolls back the works already added.
            raise ValidationError(errors)
    return rows
