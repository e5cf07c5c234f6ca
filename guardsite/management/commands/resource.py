"""python manage.py resource create NAME [--region R] [--eea] | regenerate-key NAME key1|key2"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from guardsite.actions import create_resource
from guardsite.keys import issue_keys, regenerate_key
from guardsite.models import Resource


class Command(BaseCommand):
    help = "Create resources and rotate their runtime API keys, for automation."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a resource and print its two keys")
        create.add_argument("name")
        create.add_argument("--region", default="westeurope")
        create.add_argument("--eea", action="store_true", help="the resource is in the EEA")
        rotate = actions.add_parser("regenerate-key", help="rotate one key and print it")
        rotate.add_argument("name")
        rotate.add_argument("slot", choices=["key1", "key2"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            try:
                resource = create_resource(
                    name=options["name"],
                    region=options["region"],
                    in_eea=options["eea"],
                    acting_user=None,
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            key1, key2 = issue_keys(resource, acting_user=None)
            self.stdout.write(f"resource {resource.name} ({resource.pk})")
            self.stdout.write(f"key1 {key1}")
            self.stdout.write(f"key2 {key2}")
            return
        found = Resource.objects.filter(name=options["name"]).first()
        if found is None:
            raise CommandError(f"No resource named {options['name']!r}.")
        slot = 1 if options["slot"] == "key1" else 2
        key = regenerate_key(found, slot, acting_user=None)
        self.stdout.write(f"{options['slot']} {key}")
