"""The resource management command: the keys it prints are the keys the runtime accepts."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from guardsite.models import ApiKey, Resource

ANALYZE = "/contentsafety/text:analyze?api-version=2024-09-01"


def run(*args) -> str:
    out = io.StringIO()
    call_command("resource", *args, stdout=out)
    return out.getvalue()


def analyze_status(client, key: str) -> int:
    return client.post(
        ANALYZE,
        {"text": "hello"},
        content_type="application/json",
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=key,
    ).status_code


def printed_keys(output: str) -> dict[str, str]:
    return dict(re.findall(r"^(key[12]) ([0-9a-f]{64})$", output, flags=re.MULTILINE))


@pytest.mark.django_db
def test_create_prints_two_keys_that_authenticate(client):
    keys = printed_keys(run("create", "initech", "--region", "eastus"))

    assert set(keys) == {"key1", "key2"} and keys["key1"] != keys["key2"]
    assert Resource.objects.get(name="initech").region == "eastus"
    assert analyze_status(client, keys["key1"]) == 200
    assert analyze_status(client, keys["key2"]) == 200
    assert analyze_status(client, "0" * 64) == 401


@pytest.mark.django_db
def test_keys_are_stored_only_as_hashes(client):
    keys = printed_keys(run("create", "initech"))

    stored = set(ApiKey.objects.values_list("key_hash", flat=True))
    assert stored.isdisjoint(keys.values())


@pytest.mark.django_db
def test_regenerate_key1_invalidates_only_key1(client):
    old = printed_keys(run("create", "initech"))
    assert analyze_status(client, old["key1"]) == 200  # now cached as valid

    output = run("regenerate-key", "initech", "key1")

    [(slot, new_key)] = re.findall(r"^(key[12]) ([0-9a-f]{64})$", output, flags=re.MULTILINE)
    assert slot == "key1" and new_key != old["key1"]
    assert analyze_status(client, old["key1"]) == 401
    assert analyze_status(client, new_key) == 200
    assert analyze_status(client, old["key2"]) == 200


@pytest.mark.django_db
def test_regenerate_for_an_unknown_resource_fails_clearly():
    with pytest.raises(CommandError, match="No resource named 'nope'"):
        run("regenerate-key", "nope", "key2")


@pytest.mark.django_db
def test_creating_a_duplicate_resource_fails_clearly():
    run("create", "initech")

    with pytest.raises(CommandError):
        run("create", "initech")
