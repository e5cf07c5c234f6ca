"""Hostile input against the management and review APIs: a precise 4xx in the error shape, never
a 500, never a partial write.

The first test runs schemathesis in-process over the API's own OpenAPI schema (positive and
negative examples, bounded so the file stays well under a minute); the rest pin each bug the
fuzzing found, and fail without its fix.
"""

import json
import uuid

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from blocklists.actions import ItemInput, add_items, create_blocklist
from deployments.actions import DeploymentData, create_deployment
from filters.models import ContentFilterVersion
from guardsite.models import Membership

from .helpers import api_url, assert_error, targets

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 4

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = WSGIHandler()
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
# The coverage phase enumerates every boundary of every schema: minutes, not seconds.
schema.config.phases.coverage.enabled = False


@pytest.fixture
def world(acme, owner, acme_filter):
    """A resource with one of everything, and its owner's token."""
    blocklist = create_blocklist(acme, name="fuzz-terms", description="", acting_user=owner)
    add_items(blocklist, [ItemInput(text="forbidden")], acting_user=owner)
    deployment = create_deployment(
        acme, DeploymentData(name="fuzz-dep", model_name="gpt-4o"), acting_user=owner
    )
    return {
        "token": Token.objects.get_or_create(user=owner)[0].key,
        "resource_id": str(acme.pk),
        "filter_id": str(acme_filter.pk),
        "blocklist_id": str(blocklist.pk),
        "item_id": str(blocklist.items.get().pk),
        "deployment_id": str(deployment.pk),
        "member_id": Membership.objects.get(user=owner, resource=acme).pk,
    }


@pytest.fixture
def in_process_requests():
    """Keep the test's transaction open across requests, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _aim_at_real_objects(case, world) -> None:
    """Well-formed ids point at objects of the owner's resource, so the bodies reach the code
    behind the 404; malformed ids stay as generated."""
    params = case.path_parameters or {}
    path = case.operation.path
    for name in ("resource_id", "filter_id", "blocklist_id"):
        if name in params and _is_uuid(params[name]):
            params[name] = world[name]
    if "id" in params and _is_uuid(params["id"]):
        for marker, key in (
            ("/items/{id}", "item_id"),
            ("/blocklists/{id}", "blocklist_id"),
            ("/filters/{id}", "filter_id"),
            ("/deployments/{id}", "deployment_id"),
            ("/api/v1/resources/{id}", "resource_id"),
        ):
            if marker in path:
                params["id"] = world[key]
                break
    if path.endswith("/members/{id}/") and isinstance(params.get("id"), int):
        params["id"] = world["member_id"]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error_or_a_bare_error(case, world, in_process_requests):
    _aim_at_real_objects(case, world)
    response = case.call(headers={"Authorization": f"Token {world['token']}"})

    assert response.status_code < 500, case.as_curl_command()
    if response.status_code >= 400 and response.status_code != 405:
        body = json.loads(response.content)
        assert set(body) == {"error"}, body
        assert body["error"]["code"] and body["error"]["message"], body
        header = response.headers["x-ms-error-code"]
        assert (header[0] if isinstance(header, list) else header) == body["error"]["code"]
        for detail in body["error"].get("details", []):
            assert set(detail) == {"target", "message"}, body


# The bugs the fuzzing found, one test each.


def test_a_partial_update_still_needs_each_attached_lists_id(acme, owner, acme_filter, api_as):
    before = ContentFilterVersion.objects.filter(content_filter=acme_filter).count()

    response = api_as(owner).patch(
        api_url(acme, "filters", acme_filter.pk),
        {"prompt": {"blocklists": [{"blocking": False}]}},
        format="json",
    )

    error = assert_error(response, 400, "InvalidRequestBody")
    assert targets(error) == {"prompt.blocklists[0].id"}
    assert ContentFilterVersion.objects.filter(content_filter=acme_filter).count() == before


@pytest.mark.parametrize("opener", [b'{"name":', b"["])
def test_a_deeply_nested_body_is_a_parse_error(acme, owner, api_as, opener):
    closer = b"}" if opener.startswith(b"{") else b"]"
    body = opener * 20000 + b"1" + closer * 20000

    response = api_as(owner).post(api_url(acme, "filters"), body, content_type="application/json")

    assert_error(response, 400, "InvalidRequestBody")


def test_a_body_over_the_upload_limit_is_413_in_the_error_shape(acme, owner, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"name": "x" * 4096}).encode()

    response = api_as(owner).post(
        api_url(acme, "blocklists"), body, content_type="application/json"
    )

    assert_error(response, 413, "RequestTooLarge")


def test_too_many_form_fields_is_400_in_the_error_shape(acme, owner, api_as, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=x" for i in range(50))

    response = api_as(owner).post(
        api_url(acme, "blocklists"), body, content_type="application/x-www-form-urlencoded"
    )

    assert_error(response, 400, "InvalidRequestBody")


@pytest.mark.parametrize(
    "position",
    ["p=notanumber", "p=%00", "p=2021-01-01", "r=1&p=x"],
)
def test_a_forged_cursor_position_is_400_on_the_cursor(acme, owner, acme_filter, api_as, position):
    import base64

    cursor = base64.b64encode(position.encode()).decode()

    response = api_as(owner).get(
        api_url(acme, "filters", acme_filter.pk, "versions"), {"cursor": cursor}
    )

    error = assert_error(response, 400, "InvalidRequestBody")
    assert targets(error) == {"cursor"}


def test_an_unreadable_cursor_is_400_on_the_cursor(acme, owner, api_as):
    response = api_as(owner).get(api_url(acme, "blocklists"), {"cursor": "bogus"})

    error = assert_error(response, 400, "InvalidRequestBody")
    assert targets(error) == {"cursor"}


def test_a_forged_date_cursor_names_the_cursor_not_the_model_field(acme, owner, api_as):
    import base64

    cursor = base64.b64encode(b"p=notadate").decode()

    response = api_as(owner).get(api_url(acme, "blocklists"), {"cursor": cursor})

    error = assert_error(response, 400, "InvalidRequestBody")
    assert targets(error) == {"cursor"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/review/items/", "status"),
        ("/api/v1/review/items/", "stage"),
        ("/api/v1/review/items/", "category"),
        ("/api/v1/review/cases/", "status"),
        ("/api/v1/review/access-requests/", "status"),
        ("/api/v1/review/audit-log/", "action"),
        ("/api/v1/review/audit-log/", "target_id"),
        ("/api/v1/review/audit-log/export/", "action"),
    ],
)
def test_a_review_filter_with_a_null_character_is_400(staff, api_as, path, field):
    response = api_as(staff).get(path, {field: "a\x00b"})

    error = assert_error(response, 400, "InvalidRequestBody")
    assert targets(error) == {field}


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ('{"name": "a\\u0000b"}', "name"),
        ('{"name": "\\ud800"}', "name"),
        ('{"name": "ok", "properties": {"mode": "\\udfff"}}', "properties.mode"),
        (
            '{"name": "ok", "properties": {"customBlocklists": '
            '[{"blocklistName": "x\\u0000", "source": "Prompt"}]}}',
            "properties.customBlocklists[0].blocklistName",
        ),
    ],
)
def test_an_imported_policy_with_unstorable_text_is_400(acme, owner, api_as, body, target):
    response = api_as(owner).post(
        api_url(acme, "filters", "import"), body.encode(), content_type="application/json"
    )

    error = assert_error(response, 400, "InvalidRequestBody")
    assert targets(error) == {target}
    assert not acme.content_filters.filter(name="ok").exists()


@pytest.mark.parametrize(
    ("policy", "target"),
    [
        ({"name": "ok", "properties": {"mode": {}}}, "properties.mode"),
        ({"name": "ok", "mode": ["Default"]}, "mode"),
    ],
)
def test_an_imported_policy_with_a_mode_that_is_not_text_is_400(
    acme, owner, api_as, policy, target
):
    response = api_as(owner).post(api_url(acme, "filters", "import"), policy, format="json")

    error = assert_error(response, 400, "InvalidRequestBody")
    assert targets(error) == {target}
    assert not acme.content_filters.filter(name="ok").exists()


@pytest.mark.parametrize(
    "body",
    [
        '{"\\ud800": 1}',
        '{"name": "x", "prompt": {"\\ud800": 1}}',
        '{"name": "x", "prompt": {"categories": {"hate": "\\ud800"}}}',
    ],
)
def test_an_error_echoing_a_lone_surrogate_still_renders(acme, owner, api_as, body):
    response = api_as(owner).post(
        api_url(acme, "filters"), body.encode(), content_type="application/json"
    )

    error = assert_error(response, 400, "InvalidRequestBody")
    assert "\\ud800" in json.dumps(error)
