"""Demo data for a first look: a resource, a member per role, filters, a blocklist, deployments."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from blocklists.actions import ItemInput, add_items, create_blocklist
from blocklists.models import Blocklist
from deployments.actions import DeploymentData, create_deployment
from filters.actions import Attachment, FilterData, create_filter
from guardsite.actions import add_member, create_resource
from guardsite.models import Resource

DEMO_PASSWORD = "guardsite-demo"


class Command(BaseCommand):
    help = "Create demo data and a demo login (idempotent)."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        with transaction.atomic():
            demo, created = User.objects.get_or_create(
                username="demo", defaults={"email": "demo@example.com", "is_staff": True}
            )
            if created:
                demo.set_password(DEMO_PASSWORD)
                demo.is_superuser = True
                demo.save()
            if not Resource.objects.filter(name="contoso-dev").exists():
                self._create_demo_resource(User, demo)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: username 'demo', password '{DEMO_PASSWORD}' (staff). "
                f"Also 'editor' and 'reviewer' with the same password."
            )
        )

    def _create_demo_resource(self, User, demo) -> None:
        resource = create_resource(
            name="contoso-dev", region="westeurope", in_eea=True, acting_user=demo
        )
        for username, role in (("editor", "filter_editor"), ("reviewer", "reviewer")):
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            add_member(resource, username=username, role=role, acting_user=demo)
        add_member(resource, username="demo", role="owner", acting_user=demo)
        competitors = create_blocklist(
            resource, name="competitors", description="Names we never mention", acting_user=demo
        )
        add_items(
            competitors,
            [
                ItemInput("Fabrikam", description="competitor"),
                ItemInput("Northwind Traders", description="competitor"),
                ItemInput(r"acct-\d{6}", is_regex=True, description="internal account numbers"),
            ],
            acting_user=demo,
        )
        strict = create_filter(
            resource,
            FilterData(
                name="strict-support-bot",
                description="Customer support: low thresholds, profanity blocked",
                settings={
                    **{f"prompt_{c}": "low" for c in ("hate", "sexual", "violence", "self_harm")},
                    "prompt_profanity": "block",
                    "completion_profanity": "block",
                },
                attachments=[
                    Attachment(competitors, "prompt", True),
                    Attachment(competitors, "completion", True),
                    Attachment(
                        Blocklist.objects.get(resource=None, name="Profanity"), "completion", False
                    ),
                ],
            ),
            acting_user=demo,
        )
        create_filter(resource, FilterData(name="balanced"), acting_user=demo)
        create_deployment(
            resource,
            DeploymentData(
                name="support-gpt",
                model_name="gpt-4o-mini",
                upstream_url="http://127.0.0.1:8001/v1",
            ),
            content_filter=strict,
            acting_user=demo,
        )
        create_deployment(
            resource,
            DeploymentData(name="docs-assistant", model_name="llama-3.1-8b-instruct"),
            acting_user=demo,
        )
