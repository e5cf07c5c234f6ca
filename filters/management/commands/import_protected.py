"""python manage.py import_protected FOLDER [--resource NAME] [--kind text|code] [--license L]"""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from filters.protected import add_protected_work, work_error, works_from_folder
from guardsite.models import Resource


class Command(BaseCommand):
    help = (
        "Register every file of a folder or git checkout as a protected work (global unless "
        "--resource is given). Files already registered under the same title are skipped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder")
        parser.add_argument("--resource", help="register for this resource only")
        parser.add_argument("--kind", choices=["text", "code"], help="default: by file suffix")
        parser.add_argument("--license", default="", help="licence to cite, e.g. MIT")
        parser.add_argument("--source-url", default="", help="URL prefix to cite for each file")

    def handle(self, *args: Any, **options: Any) -> None:
        resource = None
        if options["resource"]:
            resource = Resource.objects.filter(name=options["resource"]).first()
            if resource is None:
                raise CommandError(f"No resource named {options['resource']!r}.")
        try:
            works = works_from_folder(
                Path(options["folder"]),
                kind=options["kind"],
                license=options["license"],
                source_url=options["source_url"],
            )
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        added = skipped = 0
        for work in works:
            problem = work_error(work)
            if problem:
                self.stderr.write(f"skipped {work.title}: {problem}")
                skipped += 1
                continue
            try:
                add_protected_work(resource, work, acting_user=None)
                added += 1
            except ValidationError as exc:
                self.stderr.write(f"skipped {work.title}: {'; '.join(exc.messages)}")
                skipped += 1
        self.stdout.write(f"{added} works registered, {skipped} skipped.")
