"""Deployment pages: list, create, edit (the API key is never shown) and filter assignment."""

import pytest

from deployments.models import Deployment


def base(resource) -> str:
    return f"/resources/{resource.pk}/deployments/"


def edit_url(deployment) -> str:
    return f"{base(deployment.resource)}{deployment.pk}/"


def assign_url(deployment) -> str:
    return f"{edit_url(deployment)}assign/"


FORM = {"name": "batch", "model_name": "gpt-4o", "upstream_timeout_seconds": 30}


def test_list_shows_deployments_and_their_filters(page_as, reviewer, chat, support):
    html = page_as(reviewer).get(base(chat.resource)).content.decode()
    assert "chat" in html and "support" in html and "lenient" in html
    assert "Assign filter" not in html and "Create deployment" not in html


def test_list_search_and_htmx_partial(page_as, owner, chat, support):
    response = page_as(owner).get(
        base(chat.resource) + "?q=lenient", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "support" in html and "deployment-chat" not in html and "<html" not in html


def test_list_rejects_post_and_hides_from_outsiders(page_as, owner, outsider, acme):
    assert page_as(owner).post(base(acme)).status_code == 405
    assert page_as(outsider).get(base(acme)).status_code == 404


def test_create_a_deployment(page_as, editor, acme):
    response = page_as(editor).post(
        f"{base(acme)}new/",
        {**FORM, "upstream_url": "http://vllm.internal:8000/v1", "upstream_api_key": "k"},
    )
    assert response.status_code == 302
    created = Deployment.objects.get(resource=acme, name="batch")
    assert created.upstream_api_key == "k" and created.upstream_timeout_seconds == 30


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "chat"}, "already has a deployment of that name"),
        ({"name": "bad name"}, "Use only letters"),
        ({"upstream_url": "not a url"}, "Enter a valid URL"),
    ],
)
def test_create_shows_errors_next_to_fields_and_writes_nothing(
    page_as, editor, chat, changes, message
):
    response = page_as(editor).post(f"{base(chat.resource)}new/", {**FORM, **changes})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Deployment.objects.filter(resource=chat.resource).count() == 1


def test_create_is_for_editors(page_as, reviewer, outsider, acme):
    assert page_as(reviewer).post(f"{base(acme)}new/", FORM).status_code == 403
    assert page_as(outsider).get(f"{base(acme)}new/").status_code == 404
    assert page_as(reviewer).delete(f"{base(acme)}new/").status_code == 405
    assert not Deployment.objects.exists()


def test_edit_never_renders_the_api_key_and_blank_keeps_it(page_as, owner, support):
    client = page_as(owner)
    page = client.get(edit_url(support)).content.decode()
    assert "sk-secret-1" not in page and "A key is stored" in page

    response = client.post(
        edit_url(support),
        {**FORM, "name": "support", "model_name": "gpt-4.1", "upstream_api_key": ""},
    )
    assert response.status_code == 302
    support.refresh_from_db()
    assert support.model_name == "gpt-4.1" and support.upstream_api_key == "sk-secret-1"


def test_edit_can_clear_or_replace_the_key(page_as, owner, support):
    client = page_as(owner)
    client.post(edit_url(support), {**FORM, "name": "support", "upstream_api_key": "sk-new"})
    support.refresh_from_db()
    assert support.upstream_api_key == "sk-new"
    client.post(edit_url(support), {**FORM, "name": "support", "clear_api_key": "on"})
    support.refresh_from_db()
    assert support.upstream_api_key == ""


def test_edit_errors_do_not_echo_the_key(page_as, owner, chat, support):
    response = page_as(owner).post(
        edit_url(support), {**FORM, "name": "chat", "upstream_api_key": "sk-typed"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "already has a deployment of that name" in html and "sk-typed" not in html
    support.refresh_from_db()
    assert support.name == "support" and support.upstream_api_key == "sk-secret-1"


def test_edit_is_for_editors_of_the_tenant(
    page_as, reviewer, outsider, owner, support, globex_deployment
):
    assert page_as(reviewer).get(edit_url(support)).status_code == 403
    assert page_as(outsider).get(edit_url(support)).status_code == 404
    assert page_as(owner).get(f"{base(support.resource)}{globex_deployment.pk}/").status_code == 404
    assert page_as(owner).delete(edit_url(support)).status_code == 405


def test_assign_a_filter_to_a_deployment_without_one(page_as, editor, chat, strict):
    response = page_as(editor).post(assign_url(chat), {"content_filter": str(strict.pk)})
    assert response.status_code == 302
    chat.refresh_from_db()
    assert chat.content_filter == strict


def test_replacing_a_filter_asks_for_confirmation_naming_the_current_one(
    page_as, editor, support, strict
):
    client = page_as(editor)
    response = client.post(assign_url(support), {"content_filter": str(strict.pk)})

    html = response.content.decode()
    assert response.status_code == 409
    assert "<dialog open" in html
    assert "already uses filter &#x27;lenient&#x27;" in html
    assert "Replace “lenient” on support" in html
    support.refresh_from_db()
    assert support.content_filter.name == "lenient"

    response = client.post(
        assign_url(support), {"content_filter": str(strict.pk), "confirm_replace": "on"}
    )
    assert response.status_code == 302
    support.refresh_from_db()
    assert support.content_filter == strict


def test_assign_with_htmx_swaps_the_confirmation_in_place(page_as, editor, support, strict):
    response = page_as(editor).post(
        assign_url(support), {"content_filter": str(strict.pk)}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 409 and 'id="assign"' in html and "<html" not in html


def test_assign_refuses_an_unknown_filter(page_as, editor, chat, globex_filter):
    response = page_as(editor).post(assign_url(chat), {"content_filter": str(globex_filter.pk)})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    chat.refresh_from_db()
    assert chat.content_filter is None


def test_assigning_the_default_back_also_needs_confirmation(page_as, owner, support):
    client = page_as(owner)
    assert client.post(assign_url(support), {"content_filter": "default"}).status_code == 409
    client.post(assign_url(support), {"content_filter": "default", "confirm_replace": "on"})
    support.refresh_from_db()
    assert support.content_filter is None


def test_assign_is_for_editors_of_the_tenant(page_as, reviewer, outsider, owner, support, strict):
    data = {"content_filter": str(strict.pk), "confirm_replace": "on"}
    assert page_as(reviewer).post(assign_url(support), data).status_code == 403
    assert page_as(outsider).post(assign_url(support), data).status_code == 404
    assert page_as(owner).put(assign_url(support)).status_code == 405
    support.refresh_from_db()
    assert support.content_filter.name == "lenient"
