"""Deployments over REST: CRUD, filter assignment with confirmation, the write-only API key."""

import uuid

import pytest

from deployments.actions import DeploymentData, assign_filter, create_deployment
from deployments.models import Deployment
from guardsite.models import ActivityEntry

from .helpers import api_url, assert_error, targets

pytestmark = pytest.mark.django_db

SECRET = "sk-very-secret-upstream-key"


@pytest.fixture
def gpt_prod(acme, owner):
    return create_deployment(
        acme,
        DeploymentData(name="gpt-prod", model_name="gpt-4o", upstream_api_key=SECRET),
        acting_user=owner,
    )


def test_editor_creates_a_deployment_with_a_filter(acme, acme_filter, editor, api_as):
    response = api_as(editor).post(
        api_url(acme, "deployments"),
        {
            "name": "gpt-prod",
            "model_name": "gpt-4o",
            "upstream_url": "http://vllm.internal:8000/v1",
            "upstream_api_key": SECRET,
            "content_filter": str(acme_filter.pk),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_filter"] == str(acme_filter.pk)
    assert body["content_filter_name"] == "support-bot"
    assert body["has_upstream_api_key"] is True
    assert body["upstream_timeout_seconds"] == 60
    activity = api_as(editor).get(api_url(acme, "activity")).json()["results"]
    assert activity[0]["action"] == "deployment.created"


def test_upstream_api_key_is_never_returned(acme, gpt_prod, owner, api_as):
    client = api_as(owner)

    responses = [
        client.get(api_url(acme, "deployments")),
        client.get(api_url(acme, "deployments", gpt_prod.pk)),
        client.patch(api_url(acme, "deployments", gpt_prod.pk), {"model_name": "gpt-4.1"}),
        client.get(api_url(acme, "activity")),
    ]

    for response in responses:
        assert response.status_code == 200, response.content
        assert SECRET not in response.content.decode()
        assert '"upstream_api_key"' not in response.content.decode()
    gpt_prod.refresh_from_db()
    assert gpt_prod.upstream_api_key == SECRET  # kept when the PATCH omits it


def test_the_api_key_can_be_replaced_and_removed(acme, gpt_prod, owner, api_as):
    url = api_url(acme, "deployments", gpt_prod.pk)

    removed = api_as(owner).patch(url, {"upstream_api_key": ""}, format="json")

    assert removed.json()["has_upstream_api_key"] is False
    gpt_prod.refresh_from_db()
    assert gpt_prod.upstream_api_key == ""


def test_no_filter_means_the_builtin_default(acme, gpt_prod, builtin_filter, owner, api_as):
    body = api_as(owner).get(api_url(acme, "deployments", gpt_prod.pk)).json()

    assert body["content_filter"] is None
    assert body["content_filter_name"] == "Default"


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"name": "gpt", "model_name": "m" * 129}, "model_name"),
        ({"name": "has space", "model_name": "gpt-4o"}, "name"),
        ({"model_name": "gpt-4o"}, "name"),
        ({"name": "gpt", "model_name": "gpt-4o", "upstream_url": "not a url"}, "upstream_url"),
        ({"name": "gpt", "model_name": "gpt-4o", "upstream_url": "ftp://h/v1"}, "upstream_url"),
        ({"name": "gpt", "model_name": "gpt-4o", "upstream_url": "http://h:99999"}, "upstream_url"),
        (
            {"name": "gpt", "model_name": "gpt-4o", "upstream_timeout_seconds": 0},
            "upstream_timeout_seconds",
        ),
        (
            {"name": "gpt", "model_name": "gpt-4o", "upstream_timeout_seconds": "soon"},
            "upstream_timeout_seconds",
        ),
        ({"name": "gpt", "model_name": "gpt-4o", "content_filter": "abc"}, "content_filter"),
        (
            {"name": "gpt", "model_name": "gpt-4o", "has_upstream_api_key": True},
            "has_upstream_api_key",
        ),
        ({"name": "gpt", "model_name": "gpt-4o", "region": "mars"}, "region"),
    ],
)
def test_bad_deployment_input_is_400_and_writes_nothing(acme, owner, api_as, body, target):
    response = api_as(owner).post(api_url(acme, "deployments"), body, format="json")

    error = assert_error(response, 400)
    assert target in targets(error)
    assert not Deployment.objects.filter(resource=acme).exists()


def test_a_single_label_upstream_host_is_accepted(acme, owner, api_as):
    body = {"name": "local", "model_name": "llama", "upstream_url": "http://vllm:8000/v1"}
    response = api_as(owner).post(api_url(acme, "deployments"), body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["upstream_url"] == "http://vllm:8000/v1"


def test_deployment_names_are_unique_per_resource(acme, gpt_prod, owner, api_as):
    response = api_as(owner).post(
        api_url(acme, "deployments"), {"name": "gpt-prod", "model_name": "x"}, format="json"
    )

    assert "already has a deployment" in assert_error(response, 400)["message"]
    assert Deployment.objects.filter(resource=acme).count() == 1


def test_another_tenants_filter_id_in_the_body_is_404(acme, globex_filter, owner, api_as, gpt_prod):
    client = api_as(owner)

    created = client.post(
        api_url(acme, "deployments"),
        {"name": "gpt-dev", "model_name": "gpt-4o", "content_filter": str(globex_filter.pk)},
        format="json",
    )
    assigned = client.post(
        api_url(acme, "deployments", gpt_prod.pk, "assign-filter"),
        {"content_filter": str(globex_filter.pk), "confirm_replace": True},
        format="json",
    )

    assert_error(created, 404)
    assert_error(assigned, 404)
    assert "globex-bot" not in created.content.decode()
    assert not Deployment.objects.filter(name="gpt-dev").exists()
    gpt_prod.refresh_from_db()
    assert gpt_prod.content_filter is None


@pytest.mark.parametrize("persona", ["reviewer", "review_manager"])
def test_reviewers_read_deployments_but_cannot_change_them(
    request, persona, acme, acme_filter, gpt_prod, api_as
):
    client = api_as(request.getfixturevalue(persona))
    url = api_url(acme, "deployments", gpt_prod.pk)

    assert client.get(url).status_code == 200
    assert_error(
        client.post(api_url(acme, "deployments"), {"name": "x", "model_name": "y"}, format="json"),
        403,
    )
    assert_error(client.patch(url, {"model_name": "other"}, format="json"), 403)
    assert_error(
        client.post(f"{url}assign-filter/", {"content_filter": str(acme_filter.pk)}, format="json"),
        403,
    )
    assert_error(client.delete(url), 403)
    gpt_prod.refresh_from_db()
    assert (gpt_prod.model_name, gpt_prod.content_filter) == ("gpt-4o", None)


def test_outsider_gets_404_for_another_tenants_deployments(acme, gpt_prod, outsider, api_as):
    client = api_as(outsider)
    url = api_url(acme, "deployments", gpt_prod.pk)

    assert_error(client.get(api_url(acme, "deployments")), 404)
    assert_error(client.get(url), 404)
    assert_error(client.patch(url, {"model_name": "x"}, format="json"), 404)
    assert_error(client.delete(url), 404)
    assert_error(client.post(f"{url}assign-filter/", {"content_filter": None}, format="json"), 404)
    assert Deployment.objects.filter(pk=gpt_prod.pk).exists()


def test_wrong_methods_are_405(acme, gpt_prod, owner, api_as):
    url = api_url(acme, "deployments", gpt_prod.pk)

    assert_error(api_as(owner).put(url, {"name": "x", "model_name": "y"}, format="json"), 405)
    assert_error(api_as(owner).get(f"{url}assign-filter/"), 405)


def test_change_and_delete_a_deployment(acme, gpt_prod, owner, api_as):
    url = api_url(acme, "deployments", gpt_prod.pk)

    changed = api_as(owner).patch(
        url, {"upstream_timeout_seconds": 120, "upstream_model": "llama"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["upstream_timeout_seconds"] == 120
    assert changed.json()["name"] == "gpt-prod"
    assert api_as(owner).delete(url).status_code == 204
    assert not Deployment.objects.filter(pk=gpt_prod.pk).exists()
    assert ActivityEntry.objects.filter(action="deployment.deleted").exists()


def test_the_filter_changes_only_through_assign_filter(acme, acme_filter, gpt_prod, owner, api_as):
    response = api_as(owner).patch(
        api_url(acme, "deployments", gpt_prod.pk),
        {"content_filter": str(acme_filter.pk)},
        format="json",
    )

    assert "content_filter" in targets(assert_error(response, 400))
    gpt_prod.refresh_from_db()
    assert gpt_prod.content_filter is None


def test_replacing_a_filter_needs_confirmation(acme, acme_filter, gpt_prod, owner, api_as):
    from filters.actions import FilterData, create_filter

    strict = create_filter(acme, FilterData(name="strict"), acting_user=owner)
    url = api_url(acme, "deployments", gpt_prod.pk, "assign-filter")
    client = api_as(owner)

    first = client.post(url, {"content_filter": str(acme_filter.pk)}, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["content_filter_name"] == "support-bot"

    unconfirmed = client.post(url, {"content_filter": str(strict.pk)}, format="json")
    error = assert_error(unconfirmed, 409, "Conflict")
    assert "support-bot" in error["message"]
    assert "strict" in error["message"]
    gpt_prod.refresh_from_db()
    assert gpt_prod.content_filter == acme_filter

    confirmed = client.post(
        url, {"content_filter": str(strict.pk), "confirm_replace": True}, format="json"
    )
    assert confirmed.json()["content_filter_name"] == "strict"
    assert (
        ActivityEntry.objects.filter(resource=acme, action="deployment.filter_assigned").count()
        == 2
    )


def test_assign_filter_validates_its_body(acme, gpt_prod, owner, api_as):
    url = api_url(acme, "deployments", gpt_prod.pk, "assign-filter")

    missing = api_as(owner).post(url, {}, format="json")
    malformed = api_as(owner).post(url, {"content_filter": "abc"}, format="json")
    unknown = api_as(owner).post(url, {"content_filter": str(uuid.uuid4())}, format="json")

    assert "content_filter" in targets(assert_error(missing, 400))
    assert "content_filter" in targets(assert_error(malformed, 400))
    assert_error(unknown, 404)


def test_filter_deployments_by_content_filter(acme, acme_filter, gpt_prod, owner, api_as):
    other = create_deployment(
        acme, DeploymentData(name="gpt-dev", model_name="gpt-4o"), acting_user=owner
    )
    assign_filter(other, acme_filter, acting_user=owner)
    client = api_as(owner)

    using = client.get(api_url(acme, "deployments"), {"content_filter": str(acme_filter.pk)})
    default = client.get(api_url(acme, "deployments"), {"uses_default": "true"})
    searched = client.get(api_url(acme, "deployments"), {"search": "dev"})

    assert [item["name"] for item in using.json()["results"]] == ["gpt-dev"]
    assert [item["name"] for item in default.json()["results"]] == ["gpt-prod"]
    assert [item["name"] for item in searched.json()["results"]] == ["gpt-dev"]
    assert_error(client.get(api_url(acme, "deployments"), {"content_filter": "abc"}), 400)
