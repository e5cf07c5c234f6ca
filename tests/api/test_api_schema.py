"""The OpenAPI schema: generated without warnings, valid, and covering the management API."""

import io

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

RESOURCE = "/api/v1/resources/{resource_id}"
KEY_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/resources/",
    f"{RESOURCE}/members/{{id}}/",
    f"{RESOURCE}/activity/",
    f"{RESOURCE}/filters/",
    f"{RESOURCE}/filters/import/",
    f"{RESOURCE}/filters/{{id}}/rai-policy/",
    f"{RESOURCE}/filters/{{filter_id}}/versions/{{number}}/",
    f"{RESOURCE}/filters/{{filter_id}}/versions/{{number}}/restore/",
    f"{RESOURCE}/blocklists/{{id}}/export/",
    f"{RESOURCE}/blocklists/{{blocklist_id}}/items/",
    f"{RESOURCE}/blocklists/{{blocklist_id}}/items/bulk-add/",
    f"{RESOURCE}/blocklists/{{blocklist_id}}/items/bulk-preview/",
    f"{RESOURCE}/blocklists/{{blocklist_id}}/items/bulk-delete/",
    f"{RESOURCE}/deployments/{{id}}/",
    f"{RESOURCE}/deployments/{{id}}/assign-filter/",
    f"{RESOURCE}/protected-works/",
    f"{RESOURCE}/protected-works/bulk/",
    "/api/v1/protected-works/",
    "/api/v1/review/items/",
]


def test_the_schema_generates_without_warnings_and_validates():
    out = io.StringIO()
    # --fail-on-warn turns any generator warning into an error, so this fails on drift.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)

    schema = yaml.safe_load(out.getvalue())
    assert schema["info"]["title"] == "Guardsite API"


def test_the_schema_covers_the_management_api():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)

    missing = [path for path in KEY_PATHS if path not in schema["paths"]]
    assert missing == []
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    # The token endpoint needs no credentials; everything else does.
    assert token.get("security") in (None, [], [{}])
    filters = schema["paths"][f"{RESOURCE}/filters/"]["get"]
    assert {"tokenAuth": []} in filters["security"]
    deployment = schema["components"]["schemas"]["Deployment"]["properties"]
    assert "upstream_api_key" not in deployment
    assert "upstream_api_key" in schema["components"]["schemas"]["DeploymentRequest"]["properties"]
    for path, operations in schema["paths"].items():
        for parameter in [p for op in operations.values() for p in op.get("parameters", [])]:
            if parameter["in"] == "path" and parameter["name"].endswith("id"):
                assert parameter["schema"] == {"type": "string", "format": "uuid"} or parameter[
                    "schema"
                ] == {"type": "integer"}, (path, parameter)


def test_the_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/resources/{resource_id}/filters/" in schema.content
    assert docs.status_code == 200
