"""The members page: everyone on the resource sees it; only owners change it."""

from guardsite.models import Membership


def url(resource, tail="") -> str:
    return f"/resources/{resource.pk}/members/{tail}"


def test_members_see_who_belongs_but_only_owners_get_controls(page_as, owner, reviewer, acme):
    html = page_as(reviewer).get(url(acme)).content.decode()
    assert "olivia" in html and "rita" in html and "Add member" not in html
    assert "Add member" in page_as(owner).get(url(acme)).content.decode()


def test_owner_adds_a_member(page_as, owner, acme, django_user_model):
    django_user_model.objects.create_user(username="nina", password="x")
    response = page_as(owner).post(url(acme, "add/"), {"username": "nina", "role": "reviewer"})
    assert response.status_code == 302
    assert Membership.objects.get(resource=acme, user__username="nina").role == "reviewer"


def test_adding_an_unknown_user_shows_the_error(page_as, owner, acme):
    response = page_as(owner).post(url(acme, "add/"), {"username": "ghost", "role": "reviewer"})
    assert response.status_code == 400
    assert "No active user with that username." in response.content.decode()
    assert Membership.objects.filter(resource=acme).count() == 1


def test_the_last_owner_cannot_be_removed(page_as, owner, acme):
    membership = Membership.objects.get(user=owner)
    response = page_as(owner).post(url(acme, f"{membership.pk}/"), {"remove": "1"})
    assert response.status_code == 400
    assert "keeps at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_owner_changes_a_role(page_as, owner, reviewer, acme):
    membership = Membership.objects.get(user=reviewer)
    page_as(owner).post(url(acme, f"{membership.pk}/"), {"role": "filter_editor"})
    membership.refresh_from_db()
    assert membership.role == "filter_editor"


def test_membership_changes_need_post_an_owner_and_membership(
    page_as, owner, editor, outsider, reviewer, acme
):
    membership = Membership.objects.get(user=reviewer)
    assert page_as(owner).get(url(acme, f"{membership.pk}/")).status_code == 405
    assert page_as(owner).post(url(acme)).status_code == 405
    assert page_as(editor).post(url(acme, f"{membership.pk}/"), {"remove": "1"}).status_code == 403
    assert page_as(outsider).get(url(acme)).status_code == 404
    assert page_as(outsider).post(url(acme, "add/"), {"username": "oscar"}).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()
