"""Content filters over REST: tenancy, roles, the approval rule, versions, RAI import/export."""

import uuid

import pytest

from blocklists.actions import create_blocklist
from deployments.actions import DeploymentData, assign_filter, create_deployment
from filters.models import ContentFilter

from .helpers import api_url, assert_error, targets

pytestmark = pytest.mark.django_db


def test_editor_creates_a_filter_with_default_settings_and_version_one(acme, editor, api_as):
    response = api_as(editor).post(
        api_url(acme, "filters"),
        {"name": "support-bot", "description": "For the help desk"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "support-bot"
    assert body["version"] == 1
    assert body["prompt"]["categories"] == {
        "hate": "medium",
        "sexual": "medium",
        "violence": "medium",
        "self_harm": "medium",
    }
    assert body["prompt"]["jailbreak"] == "block"
    assert body["completion"]["streaming_mode"] == "default"
    activity = api_as(editor).get(api_url(acme, "activity")).json()["results"]
    assert [entry["action"] for entry in activity] == ["filter.created"]
    assert activity[0]["actor"] == "edgar"


def test_settings_given_on_create_are_stored(acme, owner, api_as):
    response = api_as(owner).post(
        api_url(acme, "filters"),
        {"name": "strict", "prompt": {"categories": {"hate": "low"}, "indirect_attack": "block"}},
        format="json",
    )

    assert response.status_code == 201, response.content
    shown = api_as(owner).get(api_url(acme, "filters", response.json()["id"])).json()
    assert shown["prompt"]["categories"]["hate"] == "low"
    assert shown["prompt"]["categories"]["sexual"] == "medium"
    assert shown["prompt"]["indirect_attack"] == "block"


@pytest.mark.parametrize("persona", ["reviewer", "review_manager"])
def test_reviewers_read_filters_but_cannot_change_them(request, persona, acme, acme_filter, api_as):
    client = api_as(request.getfixturevalue(persona))

    assert client.get(api_url(acme, "filters")).status_code == 200
    assert client.get(api_url(acme, "filters", acme_filter.pk)).status_code == 200
    assert_error(
        client.post(api_url(acme, "filters"), {"name": "mine"}, format="json"), 403, "Forbidden"
    )
    assert_error(
        client.patch(api_url(acme, "filters", acme_filter.pk), {"description": "x"}, format="json"),
        403,
    )
    assert_error(client.delete(api_url(acme, "filters", acme_filter.pk)), 403)
    acme_filter.refresh_from_db()
    assert acme_filter.version == 1
    assert acme_filter.description == ""
    assert ContentFilter.objects.filter(resource=acme).count() == 1


def test_outsider_gets_404_for_another_tenants_filters(acme, acme_filter, outsider, api_as):
    client = api_as(outsider)

    assert_error(client.get(api_url(acme, "filters")), 404, "ResourceNotFound")
    assert_error(client.get(api_url(acme, "filters", acme_filter.pk)), 404)
    assert_error(
        client.patch(api_url(acme, "filters", acme_filter.pk), {"description": "x"}, format="json"),
        404,
    )
    assert_error(client.delete(api_url(acme, "filters", acme_filter.pk)), 404)
    assert_error(client.get(api_url(acme, "filters", acme_filter.pk, "versions")), 404)
    assert_error(client.get(api_url(acme, "filters", acme_filter.pk, "rai-policy")), 404)
    assert ContentFilter.objects.filter(pk=acme_filter.pk).exists()


def test_another_tenants_filter_is_404_even_under_the_callers_own_resource(
    globex, acme_filter, outsider, api_as
):
    response = api_as(outsider).get(api_url(globex, "filters", acme_filter.pk))

    assert_error(response, 404)


def test_malformed_and_unknown_ids_are_404(acme, owner, api_as):
    client = api_as(owner)

    assert_error(client.get(f"/api/v1/resources/{acme.pk}/filters/not-a-uuid/"), 404)
    assert_error(client.get(api_url(acme, "filters", uuid.uuid4())), 404)
    assert_error(client.get("/api/v1/resources/12345/filters/"), 404)


def test_anonymous_callers_are_refused(acme, api_as):
    assert_error(api_as(None).get(api_url(acme, "filters")), 401, "Unauthorized")


def test_put_is_not_allowed(acme, acme_filter, owner, api_as):
    response = api_as(owner).put(
        api_url(acme, "filters", acme_filter.pk), {"name": "x"}, format="json"
    )

    error = assert_error(response, 405, "MethodNotAllowed")
    assert "PUT" in error["message"]


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"name": "n" * 65}, "name"),
        ({"name": "has spaces"}, "name"),
        ({"name": "ok", "colour": "blue"}, "colour"),
        ({"name": "ok", "id": str(uuid.uuid4())}, "id"),
        ({"name": "ok", "prompt": {"categories": {"hate": 5}}}, "prompt.categories.hate"),
        ({"name": "ok", "prompt": {"categories": {"hate": "extreme"}}}, "prompt.categories.hate"),
        ({"name": "ok", "prompt": {"streaming_mode": "default"}}, "prompt.streaming_mode"),
        ({"name": "ok", "prompt": "block everything"}, "prompt"),
        ({"name": "ok", "prompt": {"blocklists": [{"id": "nope"}]}}, "prompt.blocklists[0].id"),
        ({"name": "ok", "description": "d" * 1025}, "description"),
        ({"name": ["ok"]}, "name"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(acme, owner, api_as, body, target):
    response = api_as(owner).post(api_url(acme, "filters"), body, format="json")

    error = assert_error(response, 400, "InvalidRequestBody")
    assert target in targets(error)
    assert not ContentFilter.objects.filter(resource=acme).exists()


def test_malformed_json_is_400(acme, owner, api_as):
    response = api_as(owner).post(
        api_url(acme, "filters"), '{"name": "x",', content_type="application/json"
    )

    assert_error(response, 400)
    assert not ContentFilter.objects.filter(resource=acme).exists()


def test_filter_names_are_unique_per_resource(acme, acme_filter, globex, owner, api_as):
    response = api_as(owner).post(api_url(acme, "filters"), {"name": "support-bot"}, format="json")

    error = assert_error(response, 400)
    assert "already has a filter named 'support-bot'" in error["message"]


def test_annotate_off_and_asynchronous_need_approval_then_work_once_staff_approves(
    acme, acme_filter, editor, staff, api_as
):
    client = api_as(editor)
    url = api_url(acme, "filters", acme_filter.pk)
    change = {
        "prompt": {"categories": {"hate": "off"}},
        "completion": {"categories": {"sexual": "annotate"}, "streaming_mode": "asynchronous"},
    }

    refused = assert_error(client.patch(url, change, format="json"), 400)
    assert "needs an approved modified content filters application" in refused["message"] or any(
        "needs an approved modified content filters application" in detail["message"]
        for detail in refused["details"]
    )
    assert targets(refused) == {"prompt_hate", "completion_sexual", "streaming_mode"}
    acme_filter.refresh_from_db()
    assert (acme_filter.prompt_hate, acme_filter.version) == ("medium", 1)

    # Only staff record the approval; the owner cannot.
    approval = {"modified_content_filters_approved": True}
    owner_try = client.patch(f"/api/v1/resources/{acme.pk}/", approval, format="json")
    assert_error(owner_try, 403)
    approved = api_as(staff).patch(f"/api/v1/resources/{acme.pk}/", approval, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["modified_content_filters_approved"] is True

    allowed = client.patch(url, change, format="json")
    assert allowed.status_code == 200, allowed.content
    assert allowed.json()["prompt"]["categories"]["hate"] == "off"
    assert allowed.json()["completion"]["streaming_mode"] == "asynchronous"
    assert allowed.json()["version"] == 2


def test_versions_list_show_diff_and_restore_as_a_new_version(acme, acme_filter, owner, api_as):
    client = api_as(owner)
    url = api_url(acme, "filters", acme_filter.pk)
    client.patch(url, {"prompt": {"categories": {"hate": "high"}}}, format="json")
    client.patch(url, {"description": "tightened"}, format="json")

    versions = client.get(f"{url}versions/").json()["results"]
    assert [version["number"] for version in versions] == [3, 2, 1]
    assert [version["note"] for version in versions] == ["Edited", "Edited", "Created"]

    second = client.get(f"{url}versions/2/").json()
    assert second["config"]["prompt"]["categories"]["hate"] == "high"
    assert second["changes"] == [
        {"path": "prompt.categories.hate", "before": "medium", "after": "high"}
    ]

    restored = client.post(f"{url}versions/1/restore/")
    assert restored.status_code == 200, restored.content
    assert restored.json()["version"] == 4
    assert restored.json()["prompt"]["categories"]["hate"] == "medium"
    newest = client.get(f"{url}versions/").json()["results"][0]
    assert (newest["number"], newest["note"]) == (4, "Restored version 1")
    assert client.get(f"{url}versions/4/").json()["changes"] == [
        {"path": "prompt.categories.hate", "before": "high", "after": "medium"}
    ]


def test_unknown_version_is_404_and_reviewers_cannot_restore(
    acme, acme_filter, reviewer, owner, api_as
):
    url = api_url(acme, "filters", acme_filter.pk)

    assert_error(api_as(owner).get(f"{url}versions/9/"), 404)
    assert_error(api_as(owner).post(f"{url}versions/9/restore/"), 404)
    assert api_as(reviewer).get(f"{url}versions/1/").status_code == 200
    assert_error(api_as(reviewer).post(f"{url}versions/1/restore/"), 403)
    assert_error(api_as(owner).get(f"{url}versions/1/restore/"), 405)
    acme_filter.refresh_from_db()
    assert acme_filter.version == 1


def test_attach_own_and_builtin_blocklists(acme, acme_filter, owner, profanity, api_as):
    competitors = create_blocklist(acme, name="competitors", acting_user=owner)
    change = {
        "prompt": {"blocklists": [{"id": str(competitors.pk)}]},
        "completion": {"blocklists": [{"id": str(profanity.pk), "blocking": False}]},
    }

    response = api_as(owner).patch(api_url(acme, "filters", acme_filter.pk), change, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["prompt"]["blocklists"] == [
        {"id": str(competitors.pk), "name": "competitors", "blocking": True}
    ]
    assert body["completion"]["blocklists"] == [
        {"id": str(profanity.pk), "name": "Profanity", "blocking": False}
    ]


def test_another_tenants_blocklist_id_in_the_body_is_404_like_a_missing_one(
    acme, acme_filter, globex, owner, outsider, api_as
):
    theirs = create_blocklist(globex, name="secret-list", acting_user=outsider)
    url = api_url(acme, "filters", acme_filter.pk)
    client = api_as(owner)

    foreign = client.patch(url, {"prompt": {"blocklists": [{"id": str(theirs.pk)}]}}, format="json")
    missing_id = uuid.uuid4()
    missing = client.patch(
        url, {"prompt": {"blocklists": [{"id": str(missing_id)}]}}, format="json"
    )

    foreign_error = assert_error(foreign, 404)
    missing_error = assert_error(missing, 404)
    assert "secret-list" not in foreign_error["message"]
    assert foreign_error["message"].replace(str(theirs.pk), "ID") == missing_error[
        "message"
    ].replace(str(missing_id), "ID")
    acme_filter.refresh_from_db()
    assert acme_filter.version == 1
    assert not acme_filter.attachments.exists()


def test_rai_policy_export_then_import_round_trips(acme, owner, profanity, api_as):
    client = api_as(owner)
    competitors = create_blocklist(acme, name="competitors", acting_user=owner)
    created = client.post(
        api_url(acme, "filters"),
        {
            "name": "original",
            "prompt": {
                "categories": {"hate": "low", "violence": "high"},
                "indirect_attack": "annotate",
                "blocklists": [{"id": str(competitors.pk), "blocking": True}],
            },
            "completion": {
                "protected_material_code": "off",
                "blocklists": [{"id": str(profanity.pk), "blocking": False}],
            },
        },
        format="json",
    ).json()

    policy = client.get(api_url(acme, "filters", created["id"], "rai-policy")).json()
    assert policy["name"] == "original"
    assert {"blocklistName": "competitors", "blocking": True, "source": "Prompt"} in policy[
        "properties"
    ]["customBlocklists"]
    hate = next(
        entry
        for entry in policy["properties"]["contentFilters"]
        if (entry["name"], entry["source"]) == ("Hate", "Prompt")
    )
    assert hate["severityThreshold"] == "Low"

    policy["name"] = "copy"
    imported = client.post(api_url(acme, "filters", "import"), policy, format="json")

    assert imported.status_code == 201, imported.content
    copy = imported.json()
    assert copy["name"] == "copy"
    assert copy["prompt"] == created["prompt"]
    assert copy["completion"] == created["completion"]
    assert copy["version"] == 1


def test_import_refuses_what_it_does_not_understand_and_creates_nothing(acme, owner, api_as):
    policy = {
        "name": "imported",
        "properties": {
            "mode": "Default",
            "contentFilters": [
                {"name": "Hate", "enabled": True, "blocking": True, "source": "Prompt"},
                {"name": "Telepathy", "enabled": True, "blocking": True, "source": "Prompt"},
            ],
            "customBlocklists": [],
        },
    }

    error = assert_error(
        api_as(owner).post(api_url(acme, "filters", "import"), policy, format="json"), 400
    )
    assert "Telepathy" in error["message"]
    policy["properties"]["contentFilters"].pop()
    policy["properties"]["customBlocklists"] = [
        {"blocklistName": "ghost", "blocking": True, "source": "Prompt"}
    ]
    error = assert_error(
        api_as(owner).post(api_url(acme, "filters", "import"), policy, format="json"), 400
    )
    assert "ghost" in error["message"]
    nameless = {"properties": policy["properties"]}
    error = assert_error(
        api_as(owner).post(api_url(acme, "filters", "import"), nameless, format="json"), 400
    )
    assert targets(error) == {"name"}
    assert not ContentFilter.objects.filter(resource=acme).exists()


def test_import_of_annotate_only_needs_approval(acme, owner, api_as):
    policy = {
        "name": "lenient",
        "properties": {
            "mode": "Default",
            "contentFilters": [
                {"name": "Hate", "enabled": True, "blocking": False, "source": "Prompt"}
            ],
            "customBlocklists": [],
        },
    }

    error = assert_error(
        api_as(owner).post(api_url(acme, "filters", "import"), policy, format="json"), 400
    )
    assert "needs an approved modified content filters application" in error["message"]
    assert not ContentFilter.objects.filter(resource=acme).exists()


def test_reviewer_cannot_import(acme, reviewer, api_as):
    policy = {"name": "x", "properties": {"mode": "Default"}}

    assert_error(
        api_as(reviewer).post(api_url(acme, "filters", "import"), policy, format="json"), 403
    )
    assert not ContentFilter.objects.filter(resource=acme).exists()


def test_deleting_an_assigned_filter_is_refused_naming_the_deployment(
    acme, acme_filter, owner, api_as
):
    deployment = create_deployment(
        acme, DeploymentData(name="gpt-prod", model_name="gpt-4o"), acting_user=owner
    )
    assign_filter(deployment, acme_filter, acting_user=owner)
    url = api_url(acme, "filters", acme_filter.pk)

    error = assert_error(api_as(owner).delete(url), 409, "Conflict")
    assert "gpt-prod" in error["message"]
    assert api_as(owner).get(url).json()["deployments"] == ["gpt-prod"]

    assign_filter(deployment, None, acting_user=owner, confirm_replace=True)
    assert api_as(owner).delete(url).status_code == 204
    assert not ContentFilter.objects.filter(pk=acme_filter.pk).exists()


def test_builtin_default_is_visible_and_read_only(acme, acme_filter, builtin_filter, owner, api_as):
    client = api_as(owner)

    listed = client.get(api_url(acme, "filters")).json()["results"]
    assert {item["name"] for item in listed} == {"support-bot", "Default"}
    shown = client.get(api_url(acme, "filters", builtin_filter.pk)).json()
    assert shown["is_builtin"] is True
    url = api_url(acme, "filters", builtin_filter.pk)
    error = assert_error(client.patch(url, {"description": "mine now"}, format="json"), 403)
    assert "read-only" in error["message"]
    assert_error(client.delete(url), 403)
    assert ContentFilter.objects.filter(pk=builtin_filter.pk).exists()


def test_list_filters_by_name_and_search(acme, acme_filter, builtin_filter, owner, api_as):
    client = api_as(owner)

    by_name = client.get(api_url(acme, "filters"), {"name": "support-bot"}).json()["results"]
    searched = client.get(api_url(acme, "filters"), {"search": "defa"}).json()["results"]

    assert [item["name"] for item in by_name] == ["support-bot"]
    assert [item["name"] for item in searched] == ["Default"]
