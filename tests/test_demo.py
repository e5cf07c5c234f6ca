"""The README's run command seeds demo data and prints a working demo login."""

from django.core.management import call_command

from deployments.models import Deployment
from filters.models import ContentFilter


def test_seed_demo_prints_a_login_that_works_and_is_idempotent(db, client, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    printed = capsys.readouterr().out
    assert "username 'demo'" in printed
    assert client.login(username="demo", password="guardsite-demo")
    assert ContentFilter.objects.filter(resource__name="contoso-dev").count() == 2
    support = Deployment.objects.get(name="support-gpt")
    assert support.content_filter.name == "strict-support-bot"
    assert support.content_filter.versions.count() == 1
