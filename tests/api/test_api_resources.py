"""Tokens, resources, members and activity over REST."""

import pytest

from guardsite.models import ActivityEntry, Membership, Resource

from .helpers import assert_error, targets

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def resource_url(resource, *parts):
    tail = "".join(f"{part}/" for part in parts)
    return f"/api/v1/resources/{resource.pk}/{tail}"


def test_a_token_for_username_and_password_opens_the_api(owner, acme, api_as):
    from tests.conftest import PASSWORD

    response = api_as(None).post(TOKEN_URL, {"username": "olivia", "password": PASSWORD})

    assert response.status_code == 200, response.content
    client = api_as(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    listed = client.get("/api/v1/resources/").json()["results"]
    assert [item["name"] for item in listed] == ["acme"]
    assert listed[0]["role"] == "owner"


def test_a_wrong_password_gets_no_token(owner, api_as):
    response = api_as(None).post(TOKEN_URL, {"username": "olivia", "password": "guess"})

    error = assert_error(response, 400)
    assert "token" not in response.json()
    assert "Unable to log in" in error["message"]
    assert_error(api_as(None).get(TOKEN_URL), 405)
    assert "password" in targets(assert_error(api_as(None).post(TOKEN_URL, {"username": "x"}), 400))


def test_a_bad_token_is_401(api_as):
    client = api_as(None)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert_error(client.get("/api/v1/resources/"), 401, "Unauthorized")


def test_members_see_only_their_resources(acme, globex, owner, outsider, staff, api_as):
    mine = api_as(owner).get("/api/v1/resources/").json()["results"]
    everything = api_as(staff).get("/api/v1/resources/").json()["results"]

    assert [item["name"] for item in mine] == ["acme"]
    assert {item["name"] for item in everything} == {"acme", "globex"}
    assert_error(api_as(owner).get(resource_url(globex)), 404)
    assert_error(api_as(outsider).patch(resource_url(acme), {"region": "x"}, format="json"), 404)


def test_creating_a_resource_makes_you_its_owner(outsider, api_as):
    response = api_as(outsider).post(
        "/api/v1/resources/", {"name": "initech", "in_eea": True}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["role"] == "owner"
    resource = Resource.objects.get(name="initech")
    assert Membership.objects.get(resource=resource).user == outsider
    assert ActivityEntry.objects.filter(resource=resource, action="resource.created").exists()


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"name": "has spaces"}, "name"),
        ({"name": "acme"}, "name"),
        ({"name": "n" * 65}, "name"),
        (
            {"name": "new", "modified_content_filters_approved": True},
            "modified_content_filters_approved",
        ),
        ({"name": "new", "in_eea": "perhaps"}, "in_eea"),
    ],
)
def test_bad_resource_input_is_400(acme, outsider, api_as, body, target):
    response = api_as(outsider).post("/api/v1/resources/", body, format="json")

    assert target in targets(assert_error(response, 400))
    assert Resource.objects.count() == 2  # acme and globex


def test_owners_change_the_resource_but_not_its_approvals(acme, owner, editor, api_as):
    changed = api_as(owner).patch(resource_url(acme), {"region": "northeurope"}, format="json")
    approval = api_as(owner).patch(
        resource_url(acme), {"modified_content_filters_approved": True}, format="json"
    )
    by_editor = api_as(editor).patch(resource_url(acme), {"region": "eastus"}, format="json")

    assert changed.json()["region"] == "northeurope"
    assert "staff" in assert_error(approval, 403)["message"]
    assert_error(by_editor, 403)
    acme.refresh_from_db()
    assert (acme.region, acme.modified_content_filters_approved) == ("northeurope", False)
    assert_error(api_as(owner).put(resource_url(acme), {"name": "x"}, format="json"), 405)
    assert_error(api_as(owner).delete(resource_url(acme)), 405)


def test_staff_record_approvals_and_status(acme, staff, api_as):
    response = api_as(staff).patch(
        resource_url(acme),
        {"modified_content_filters_approved": True, "status": "suspended"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "suspended"
    entry = ActivityEntry.objects.get(resource=acme, action="resource.updated")
    assert entry.after["modified_content_filters_approved"] is True


def test_owners_manage_members(acme, owner, reviewer, django_user_model, api_as):
    django_user_model.objects.create_user(username="nina", password="x-long-password")
    client = api_as(owner)

    added = client.post(
        resource_url(acme, "members"), {"username": "nina", "role": "filter_editor"}, format="json"
    )
    assert added.status_code == 201, added.content
    member_id = added.json()["id"]
    changed = client.patch(
        resource_url(acme, "members", member_id), {"role": "reviewer"}, format="json"
    )
    assert changed.json()["role"] == "reviewer"
    assert client.delete(resource_url(acme, "members", member_id)).status_code == 204
    actions = [
        entry["action"] for entry in client.get(resource_url(acme, "activity")).json()["results"]
    ]
    assert actions == ["member.removed", "member.role_changed", "member.added"]


def test_only_owners_manage_members(acme, owner, editor, reviewer, api_as):
    membership = Membership.objects.get(user=reviewer)

    assert api_as(editor).get(resource_url(acme, "members")).status_code == 200
    assert_error(
        api_as(editor).post(
            resource_url(acme, "members"), {"username": "rita", "role": "owner"}, format="json"
        ),
        403,
    )
    assert_error(
        api_as(reviewer).patch(
            resource_url(acme, "members", membership.pk), {"role": "owner"}, format="json"
        ),
        403,
    )
    membership.refresh_from_db()
    assert membership.role == "reviewer"


def test_members_of_another_tenant_are_404(acme, globex, owner, outsider, api_as):
    theirs = Membership.objects.get(user=outsider)

    assert_error(api_as(owner).get(resource_url(globex, "members")), 404)
    assert_error(api_as(owner).delete(resource_url(acme, "members", theirs.pk)), 404)
    assert_error(api_as(owner).delete(resource_url(globex, "members", theirs.pk)), 404)
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_member_input_is_validated(acme, owner, api_as):
    client = api_as(owner)
    own = Membership.objects.get(user=owner)

    unknown_user = client.post(
        resource_url(acme, "members"), {"username": "ghost", "role": "reviewer"}, format="json"
    )
    bad_role = client.post(
        resource_url(acme, "members"), {"username": "olivia", "role": "king"}, format="json"
    )
    rename = client.patch(resource_url(acme, "members", own.pk), {"username": "x"}, format="json")
    last_owner = client.patch(
        resource_url(acme, "members", own.pk), {"role": "reviewer"}, format="json"
    )

    assert "username" in targets(assert_error(unknown_user, 400))
    assert "role" in targets(assert_error(bad_role, 400))
    assert "username" in targets(assert_error(rename, 400))
    assert "at least one owner" in assert_error(last_owner, 409)["message"]
    own.refresh_from_db()
    assert own.role == "owner"


def test_activity_is_read_only(acme, owner, api_as):
    assert_error(
        api_as(owner).post(resource_url(acme, "activity"), {"action": "x"}, format="json"), 405
    )
