"""python manage.py classify IN.jsonl [--out OUT.jsonl] [--filter NAME [--resource NAME]]"""

import json
import sys
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from filters.models import ContentFilter
from guardsite.classification import ClassifyInput, classify_many, harm_model
from guardsite.engine.decision import default_config

CATEGORIES = ("hate", "sexual", "violence", "self_harm")
BATCH = 256


class Command(BaseCommand):
    help = (
        "Classify texts from a JSON Lines file (one object per line with 'text', optional "
        "'role' = prompt|completion and 'documents'); write one result per input, in order."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("input", help="JSON Lines file, or - for standard input")
        parser.add_argument("--out", help="write results here instead of standard output")
        parser.add_argument("--filter", help="name of a content filter whose decision to add")
        parser.add_argument("--resource", help="the filter's resource, when the name is ambiguous")

    def handle(self, *args: Any, **options: Any) -> None:
        config = self._config(options["filter"], options["resource"])
        rows = list(self._read(options["input"]))
        out = open(options["out"], "w", encoding="utf-8") if options["out"] else self.stdout  # noqa: SIM115
        progress = tqdm(total=len(rows), unit="text", disable=not sys.stderr.isatty())
        try:
            for start in range(0, len(rows), BATCH):
                for result in self._classify(rows[start : start + BATCH], config):
                    out.write(json.dumps(result, ensure_ascii=False) + "\n")
                progress.update(min(BATCH, len(rows) - start))
        finally:
            progress.close()
            if options["out"]:
                out.close()

    def _config(self, name: str | None, resource: str | None) -> tuple[dict, str | None] | None:
        if not name:
            return None
        if name == "Default" and not resource:
            return default_config(), None
        matches = ContentFilter.objects.filter(name=name, resource__isnull=False)
        if resource:
            matches = matches.filter(resource__name=resource)
        found = list(matches.select_related("resource")[:2])
        if not found:
            raise CommandError(f"No content filter named {name!r}.")
        if len(found) > 1:
            raise CommandError(f"Several resources have a filter named {name!r}; add --resource.")
        return found[0].as_config(), str(found[0].resource_id)

    def _read(self, path: str) -> Iterator[dict]:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CommandError(f"Line {number} is not JSON: {exc.msg}.") from exc
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise CommandError(f"Line {number} needs an object with a string 'text'.")
                role = row.get("role", "prompt")
                if role not in ("prompt", "completion"):
                    raise CommandError(f"Line {number}: role must be 'prompt' or 'completion'.")
                documents = row.get("documents") or []
                if not isinstance(documents, list) or not all(
                    isinstance(d, str) for d in documents
                ):
                    raise CommandError(f"Line {number}: documents must be a list of strings.")
                yield {"text": row["text"], "role": role, "documents": documents}
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {path}") from exc
        finally:
            if handle is not sys.stdin:
                handle.close()

    def _classify(self, rows: list[dict], config: tuple[dict, str | None] | None) -> list[dict]:
        model = harm_model()
        scores = model.score([row["text"] for row in rows])
        severities = {
            category: model.severity(category, scores[category]) for category in CATEGORIES
        }
        decisions: list = [None] * len(rows)
        if config is not None:
            filter_config, resource_id = config
            decisions = classify_many(
                [
                    ClassifyInput(
                        row["text"], row["role"], filter_config, resource_id, row["documents"]
                    )
                    for row in rows
                ]
            )
        results = []
        for index, row in enumerate(rows):
            result: dict[str, Any] = {
                "scores": {c: round(float(scores[c][index]), 4) for c in CATEGORIES},
                "severity": {c: int(severities[c][index]) for c in CATEGORIES},
                "any": round(float(scores["any"][index]), 4),
                "attack": round(float(scores["attack"][index]), 4)
                if row["role"] == "prompt"
                else None,
            }
            if decisions[index] is not None:
                analysis, decision = decisions[index]
                result["blocklist_matches"] = [m.to_dict() for m in analysis.blocklist_matches]
                result["filtered"] = decision.filtered
                result["content_filter_results"] = decision.results
            results.append(result)
        return results
