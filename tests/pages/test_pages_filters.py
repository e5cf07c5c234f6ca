"""Content-filter pages: list, the create/edit wizard, detail with versions, import, export."""

import json

import pytest

from deployments.models import Deployment
from filters.actions import filter_data_from_instance, update_filter
from filters.models import ContentFilter

MEDIUM_EVERYWHERE = {
    f"{direction}_{category}": "medium"
    for direction in ("prompt", "completion")
    for category in ("hate", "sexual", "violence", "self_harm")
}
INPUT_STEP = {
    "prompt_hate": "low",
    "prompt_sexual": "medium",
    "prompt_violence": "high",
    "prompt_self_harm": "medium",
    "prompt_jailbreak": "block",
    "prompt_indirect_attack": "annotate",
    "prompt_profanity": "off",
}
OUTPUT_STEP = {
    "completion_hate": "medium",
    "completion_sexual": "medium",
    "completion_violence": "medium",
    "completion_self_harm": "high",
    "completion_protected_material_text": "block",
    "completion_protected_material_code": "annotate",
    "completion_profanity": "off",
    "streaming_mode": "default",
}


def base(resource) -> str:
    return f"/resources/{resource.pk}/filters/"


def step(resource, name, content_filter=None) -> str:
    if content_filter is None:
        return f"{base(resource)}new/{name}/"
    return f"{base(resource)}{content_filter.pk}/edit/{name}/"


def start_flow(client, resource, edit=None) -> str:
    """Open Create (or Edit): the '?flow=…' every step URL of this wizard run carries."""
    start = f"{base(resource)}{edit.pk}/edit/" if edit else f"{base(resource)}new/"
    response = client.get(start)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(step(resource, "basics", edit) + "?flow=")
    return location[location.index("?") :]


def walk_wizard(client, resource, *, basics, blocklists=None, deployments=None, edit=None):
    """Post every step in order (as a browser without JS would); returns the final response."""
    flow = start_flow(client, resource, edit)
    for name, data in (
        ("basics", basics),
        ("input", INPUT_STEP),
        ("output", OUTPUT_STEP),
        ("blocklists", blocklists or {}),
        ("deployments", deployments or {}),
    ):
        response = client.post(step(resource, name, edit) + flow, {**data, "go": "next"})
        assert response.status_code == 302, response.content.decode()[:3000]
        assert response["Location"].endswith(flow)
    return client.post(step(resource, "review", edit) + flow, {"go": "create"})


# --- List ---------------------------------------------------------------------------------------


def test_list_shows_the_resources_filters_with_a_create_button(page_as, editor, strict, lenient):
    html = page_as(editor).get(base(strict.resource)).content.decode()
    assert "strict" in html and "lenient" in html
    assert "Create content filter" in html


def test_list_search_and_htmx_partial(page_as, owner, strict, lenient):
    response = page_as(owner).get(base(strict.resource) + "?q=stri", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "strict" in html and "lenient" not in html
    assert "<html" not in html


def test_list_is_paginated(page_as, owner, acme):
    from filters.actions import FilterData, create_filter

    for number in range(27):
        create_filter(acme, FilterData(name=f"f{number:02d}"), acting_user=owner)
    html = page_as(owner).get(base(acme)).content.decode()
    # Names as link text: a bare "f25" can also occur inside a random UUID in an href.
    assert "Page 1 of 2" in html and ">f24<" in html and ">f25<" not in html


def test_reviewers_see_filters_but_no_edit_buttons(page_as, reviewer, strict):
    client = page_as(reviewer)
    assert "Create content filter" not in client.get(base(strict.resource)).content.decode()
    detail = client.get(f"{base(strict.resource)}{strict.pk}/").content.decode()
    assert "strict" in detail
    assert ">Edit<" not in detail and "Delete" not in detail and "Restore" not in detail


def test_list_rejects_post(page_as, owner, acme):
    assert page_as(owner).post(base(acme)).status_code == 405


def test_outsiders_get_404_for_another_tenants_filters(page_as, outsider, strict):
    client = page_as(outsider)
    assert client.get(base(strict.resource)).status_code == 404
    assert client.get(f"{base(strict.resource)}{strict.pk}/").status_code == 404
    assert client.get(f"{base(strict.resource)}new/").status_code == 404


def test_a_filter_of_another_tenant_is_404_even_under_your_own_resource(
    page_as, owner, acme, globex_filter
):
    assert page_as(owner).get(f"{base(acme)}{globex_filter.pk}/").status_code == 404


# --- Wizard -------------------------------------------------------------------------------------


def test_wizard_creates_a_filter_end_to_end(page_as, editor, acme, swear_words, chat):
    client = page_as(editor)
    response = walk_wizard(
        client,
        acme,
        basics={"name": "support-bot", "description": "For the support bot"},
        blocklists={f"prompt__{swear_words.pk.hex}": "block"},
        deployments={"assign": [str(chat.pk)]},
    )

    created = ContentFilter.objects.get(resource=acme, name="support-bot")
    assert response.status_code == 302
    assert response["Location"] == f"{base(acme)}{created.pk}/"
    assert created.prompt_hate == "low" and created.prompt_violence == "high"
    assert created.prompt_indirect_attack == "annotate"
    assert created.completion_self_harm == "high"
    assert created.version == 1
    attached = created.attachments.get()
    assert (attached.blocklist, attached.direction, attached.blocking) == (
        swear_words,
        "prompt",
        True,
    )
    chat.refresh_from_db()
    assert chat.content_filter == created
    page = client.get(response["Location"]).content.decode()
    assert "Created filter" in page and "support-bot" in page


def test_review_step_summarises_every_choice(page_as, owner, acme, swear_words):
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    client.post(step(acme, "basics"), {"name": "summary", "go": "next"})
    client.post(step(acme, "input"), {**INPUT_STEP, "go": "next"})
    client.post(step(acme, "output"), {**OUTPUT_STEP, "go": "next"})
    client.post(
        step(acme, "blocklists"), {f"completion__{swear_words.pk.hex}": "annotate", "go": "next"}
    )
    client.post(step(acme, "deployments"), {"go": "next"})
    html = client.get(step(acme, "review")).content.decode()
    assert "summary" in html
    assert "swear-words on completions, annotate only" in html
    assert "Create filter" in html
    assert not ContentFilter.objects.filter(name="summary").exists()


def test_wizard_steps_are_validated_and_nothing_is_written(page_as, owner, strict):
    client = page_as(owner)
    client.get(f"{base(strict.resource)}new/")
    response = client.post(step(strict.resource, "basics"), {"name": "strict", "go": "next"})
    assert response.status_code == 400
    assert "already has a filter named" in response.content.decode()
    response = client.post(step(strict.resource, "basics"), {"name": "bad name!", "go": "next"})
    assert response.status_code == 400
    assert "Use only letters" in response.content.decode()
    assert ContentFilter.objects.filter(resource=strict.resource).count() == 1


CLASSIFIER_PROFILES = {
    "cs": {
        "kind": "content_safety",
        "endpoint": "https://cs.internal.example",
        "key": "cs-secret-key",
    }
}


def test_the_basics_step_offers_the_default_and_local_classifiers(page_as, owner, acme):
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    html = client.get(step(acme, "basics")).content.decode()
    assert "Classifier" in html
    assert '<option value="" selected>Operator default (Local trained models)</option>' in html
    assert '<option value="local">Local trained models</option>' in html


def test_configured_profiles_are_offered_by_name_only(page_as, owner, acme, settings):
    settings.GUARDSITE_CLASSIFIERS = CLASSIFIER_PROFILES
    settings.GUARDSITE_CLASSIFIER = "cs"
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    html = client.get(step(acme, "basics")).content.decode()
    assert '<option value="cs">cs (operator profile)</option>' in html
    assert "Operator default (cs (operator profile))" in html
    assert "cs.internal.example" not in html and "cs-secret-key" not in html


def test_a_chosen_profile_is_saved_and_shown_on_review_and_detail(page_as, editor, acme, settings):
    settings.GUARDSITE_CLASSIFIERS = CLASSIFIER_PROFILES
    client = page_as(editor)
    client.get(f"{base(acme)}new/")
    client.post(step(acme, "basics"), {"name": "external", "classifier": "cs", "go": "next"})
    client.post(step(acme, "input"), {**INPUT_STEP, "go": "next"})
    client.post(step(acme, "output"), {**OUTPUT_STEP, "go": "next"})
    client.post(step(acme, "blocklists"), {"go": "next"})
    client.post(step(acme, "deployments"), {"go": "next"})
    review = client.get(step(acme, "review")).content.decode()
    assert "<dt>Classifier</dt><dd>cs (operator profile)</dd>" in review

    response = client.post(step(acme, "review"), {"go": "create"})

    created = ContentFilter.objects.get(resource=acme, name="external")
    assert created.classifier == "cs"
    detail = client.get(response["Location"]).content.decode()
    assert "cs (operator profile)" in detail and "cs-secret-key" not in detail


def test_local_models_can_be_chosen_and_editing_keeps_the_choice(page_as, owner, acme):
    client = page_as(owner)
    walk_wizard(client, acme, basics={"name": "on-box", "classifier": "local"})
    created = ContentFilter.objects.get(resource=acme, name="on-box")
    assert created.classifier == "local"

    client.get(f"{base(acme)}{created.pk}/edit/")
    basics = client.get(step(acme, "basics", created)).content.decode()
    assert '<option value="local" selected>' in basics
    walk_wizard(client, acme, basics={"name": "on-box", "classifier": ""}, edit=created)
    created.refresh_from_db()
    assert created.classifier == "" and created.version == 2


def test_an_unknown_classifier_profile_is_refused(page_as, owner, acme):
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    response = client.post(
        step(acme, "basics"), {"name": "guessing", "classifier": "cs", "go": "next"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert client.get(step(acme, "input")).status_code == 302  # the step was not stored
    assert not ContentFilter.objects.filter(name="guessing").exists()


def test_a_profile_removed_since_it_was_chosen_is_refused_at_creation(
    page_as, owner, acme, settings
):
    settings.GUARDSITE_CLASSIFIERS = CLASSIFIER_PROFILES
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    client.post(step(acme, "basics"), {"name": "late", "classifier": "cs", "go": "next"})
    for name, data in (("input", INPUT_STEP), ("output", OUTPUT_STEP)):
        client.post(step(acme, name), {**data, "go": "next"})
    client.post(step(acme, "blocklists"), {"go": "next"})
    client.post(step(acme, "deployments"), {"go": "next"})
    settings.GUARDSITE_CLASSIFIERS = {}

    response = client.post(step(acme, "review"), {"go": "create"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "No classifier profile &#x27;cs&#x27;" in html
    assert f'href="{step(acme, "basics")}">fix it</a>' in html
    assert not ContentFilter.objects.filter(name="late").exists()


def test_later_steps_wait_for_earlier_ones(page_as, owner, acme):
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    response = client.get(step(acme, "review"))
    assert response.status_code == 302 and response["Location"] == step(acme, "basics")


def test_back_returns_to_the_previous_step_keeping_its_values(page_as, owner, acme):
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    client.post(step(acme, "basics"), {"name": "keep-me", "go": "next"})
    response = client.post(step(acme, "input"), {**INPUT_STEP, "go": "back"})
    assert response["Location"] == step(acme, "basics")
    assert 'value="keep-me"' in client.get(step(acme, "basics")).content.decode()


def test_htmx_swaps_the_next_step_in_place(page_as, owner, acme):
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    response = client.post(
        step(acme, "basics"), {"name": "htmx-one", "go": "next"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Push-Url"] == step(acme, "input")
    assert 'id="wizard"' in html and "<html" not in html and "Input filters" in html


def test_threshold_control_offers_low_medium_high_and_disables_the_rest_without_approval(
    page_as, owner, acme
):
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    client.post(step(acme, "basics"), {"name": "x", "go": "next"})
    html = client.get(step(acme, "input")).content.decode()
    for label in ("Low", "Medium", "High", "Annotate only", "No filter"):
        assert f"<span>{label}</span>" in html
    assert 'name="prompt_hate" value="off" disabled' in html
    assert 'name="prompt_hate" value="low">' in html
    assert "need an approved modified content filters application" in html


def test_turning_a_category_off_needs_approval(page_as, owner, acme):
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    client.post(step(acme, "basics"), {"name": "no-hate", "go": "next"})
    response = client.post(step(acme, "input"), {**INPUT_STEP, "prompt_hate": "off", "go": "next"})
    assert response.status_code == 400
    assert "needs an approved modified content filters application" in response.content.decode()
    response = client.post(
        step(acme, "output"), {**OUTPUT_STEP, "streaming_mode": "asynchronous", "go": "next"}
    )
    # The output step is not reachable before the input step is done.
    assert response.status_code == 302 and response["Location"] == step(acme, "input")


def test_approved_resources_may_turn_categories_off(page_as, owner, approved_acme):
    client = page_as(owner)
    response = walk_wizard(client, approved_acme, basics={"name": "relaxed"})
    assert response.status_code == 302
    html = client.get(step(approved_acme, "input")).content.decode()  # a fresh wizard
    assert "disabled" not in html.split("Input filters", 1)[-1].split("</form>")[0]


def test_assigning_over_another_filter_needs_the_replace_tick(page_as, owner, acme, support):
    client = page_as(owner)
    client.get(f"{base(acme)}new/")
    client.post(step(acme, "basics"), {"name": "newer", "go": "next"})
    client.post(step(acme, "input"), {**INPUT_STEP, "go": "next"})
    client.post(step(acme, "output"), {**OUTPUT_STEP, "go": "next"})
    client.post(step(acme, "blocklists"), {"go": "next"})
    page = client.get(step(acme, "deployments")).content.decode()
    assert "Replace “lenient” on support" in page

    refused = client.post(step(acme, "deployments"), {"assign": [str(support.pk)], "go": "next"})
    assert refused.status_code == 400
    assert "already uses filter &#x27;lenient&#x27;" in refused.content.decode()

    accepted = client.post(
        step(acme, "deployments"),
        {"assign": [str(support.pk)], "replace": [str(support.pk)], "go": "next"},
    )
    assert accepted["Location"] == step(acme, "review")
    assert "replaces “lenient”" in client.get(step(acme, "review")).content.decode()
    client.post(step(acme, "review"), {"go": "create"})
    support.refresh_from_db()
    assert support.content_filter.name == "newer"


def test_edit_uses_the_same_steps_and_writes_a_new_version(page_as, editor, strict):
    client = page_as(editor)
    client.get(f"{base(strict.resource)}{strict.pk}/edit/")
    html = client.get(step(strict.resource, "basics", strict)).content.decode()
    assert 'value="strict"' in html
    response = walk_wizard(
        client, strict.resource, basics={"name": "strict", "description": "now edited"}, edit=strict
    )
    assert response.status_code == 302
    strict.refresh_from_db()
    assert strict.version == 2 and strict.description == "now edited"
    assert strict.prompt_violence == "high"


def test_two_tabs_creating_filters_keep_separate_wizards(page_as, owner, acme):
    client = page_as(owner)
    first, second = start_flow(client, acme), start_flow(client, acme)
    assert first != second
    for flow, name in ((first, "from-tab-one"), (second, "from-tab-two")):
        client.post(step(acme, "basics") + flow, {"name": name, "go": "next"})
        client.post(step(acme, "input") + flow, {**INPUT_STEP, "go": "next"})
        client.post(step(acme, "output") + flow, {**OUTPUT_STEP, "go": "next"})
        client.post(step(acme, "blocklists") + flow, {"go": "next"})
        client.post(step(acme, "deployments") + flow, {"go": "next"})
    assert "from-tab-one" in client.get(step(acme, "review") + first).content.decode()
    assert "from-tab-two" in client.get(step(acme, "review") + second).content.decode()
    assert client.post(step(acme, "review") + first, {"go": "create"}).status_code == 302
    assert client.post(step(acme, "review") + second, {"go": "create"}).status_code == 302
    names = set(ContentFilter.objects.filter(resource=acme).values_list("name", flat=True))
    assert names == {"from-tab-one", "from-tab-two"}


def test_htmx_steps_keep_the_flow_in_the_pushed_url(page_as, owner, acme):
    client = page_as(owner)
    flow = start_flow(client, acme)
    response = client.post(
        step(acme, "basics") + flow,
        {"name": "pushed", "go": "next"},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Push-Url"] == step(acme, "input") + flow
    assert f'hx-post="{step(acme, "input")}{flow}"' in response.content.decode()


def test_a_second_create_after_finishing_saves_nothing_more(page_as, owner, acme, strict):
    client = page_as(owner)
    response = walk_wizard(client, acme, basics={"name": "once"})
    assert response.status_code == 302
    again = client.post(response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"])
    assert again.status_code == 302 and again["Location"] == base(acme)
    assert ContentFilter.objects.filter(resource=acme, name="once").count() == 1
    assert "already finished" in client.get(base(acme)).content.decode()

    edited = walk_wizard(client, acme, basics={"name": "strict"}, edit=strict)
    client.post(edited.request["PATH_INFO"] + "?" + edited.request["QUERY_STRING"])
    strict.refresh_from_db()
    assert strict.version == 2  # one edit, one new version, however often Save is sent


def test_abandoned_wizards_do_not_pile_up_in_the_session(page_as, owner, acme):
    client = page_as(owner)
    flows = [start_flow(client, acme) for _ in range(15)]
    wizard_keys = [key for key, _ in client.session.items() if key.startswith("filter-wizard:")]
    assert len(wizard_keys) == 10
    # The newest flows still work; the oldest start again from an empty first step.
    html = client.get(step(acme, "basics") + flows[-1]).content.decode()
    assert "Basic information" in html
    response = client.get(step(acme, "review") + flows[0])
    assert response.status_code == 302
    assert response["Location"] == step(acme, "basics") + flows[0]


def test_a_malformed_flow_token_falls_back_to_the_plain_wizard(page_as, owner, acme):
    client = page_as(owner)
    response = client.get(step(acme, "basics") + "?flow=../../%00" + "x" * 100)
    assert response.status_code == 200
    assert 'action="' + step(acme, "basics") + '"' in response.content.decode()


def test_the_wizard_is_for_editors_only(page_as, reviewer, review_manager, strict):
    for user in (reviewer, review_manager):
        client = page_as(user)
        assert client.get(f"{base(strict.resource)}new/").status_code == 403
        assert client.post(step(strict.resource, "basics"), {"name": "x"}).status_code == 403
        assert client.get(f"{base(strict.resource)}{strict.pk}/edit/").status_code == 403


def test_wizard_rejects_other_methods(page_as, owner, acme):
    assert page_as(owner).put(step(acme, "basics")).status_code == 405
    assert page_as(owner).post(f"{base(acme)}new/").status_code == 405


# --- Detail, versions, restore, export, import, delete -----------------------------------------


def test_detail_shows_settings_deployments_and_a_readable_diff(page_as, owner, strict, chat):
    from deployments.actions import assign_filter

    assign_filter(chat, strict, acting_user=owner)
    data = filter_data_from_instance(strict)
    data.settings["completion_hate"] = "high"
    update_filter(strict, data, acting_user=owner)

    html = page_as(owner).get(f"{base(strict.resource)}{strict.pk}/").content.decode()
    assert "Assigned deployments" in html and ">chat<" in html
    assert "completion › categories › hate" in html
    assert "<del>low</del>" in html and "<ins>high</ins>" in html
    assert "Restore v1" in html and "Restore v2" not in html


def test_restore_makes_an_old_version_current_as_a_new_version(page_as, editor, strict):
    data = filter_data_from_instance(strict)
    data.settings["prompt_hate"] = "high"
    update_filter(strict, data, acting_user=editor)

    response = page_as(editor).post(f"{base(strict.resource)}{strict.pk}/versions/1/restore/")

    assert response.status_code == 302
    strict.refresh_from_db()
    assert strict.version == 3 and strict.prompt_hate == "low"


def test_restore_of_a_missing_version_shows_the_error(page_as, editor, strict):
    response = page_as(editor).post(f"{base(strict.resource)}{strict.pk}/versions/9/restore/")
    assert response.status_code == 400
    assert "Filter has no version 9." in response.content.decode()
    strict.refresh_from_db()
    assert strict.version == 1


def test_restore_needs_post_and_an_editor(page_as, owner, reviewer, outsider, strict):
    url = f"{base(strict.resource)}{strict.pk}/versions/1/restore/"
    assert page_as(owner).get(url).status_code == 405
    assert page_as(reviewer).post(url).status_code == 403
    assert page_as(outsider).post(url).status_code == 404


def test_export_downloads_rai_json(page_as, reviewer, strict):
    response = page_as(reviewer).get(f"{base(strict.resource)}{strict.pk}/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert response.json()["name"] == "strict"


def test_export_is_hidden_from_outsiders(page_as, outsider, strict):
    assert page_as(outsider).get(f"{base(strict.resource)}{strict.pk}/export/").status_code == 404


def test_import_creates_a_filter_from_pasted_json(page_as, owner, strict):
    client = page_as(owner)
    policy = client.get(f"{base(strict.resource)}{strict.pk}/export/").json()
    response = client.post(
        f"{base(strict.resource)}import/", {"policy": json.dumps(policy), "name": "copied"}
    )
    assert response.status_code == 302
    copied = ContentFilter.objects.get(resource=strict.resource, name="copied")
    assert copied.prompt_hate == "low"


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("{not json", "This is not valid JSON"),
        (
            '{"name": "x", "contentFilters": [{"name": "Nope", "source": "Prompt"}]}',
            "unknown filter name",
        ),
        ('{"name": "bad name!"}', "Use only letters"),
    ],
)
def test_import_shows_what_is_wrong_and_writes_nothing(page_as, owner, acme, policy, message):
    response = page_as(owner).post(f"{base(acme)}import/", {"policy": policy})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ContentFilter.objects.filter(resource=acme).exists()


def test_import_is_for_editors(page_as, reviewer, outsider, acme):
    assert page_as(reviewer).post(f"{base(acme)}import/", {"policy": "{}"}).status_code == 403
    assert page_as(outsider).get(f"{base(acme)}import/").status_code == 404


def test_delete_is_refused_naming_the_deployments(page_as, owner, lenient, support):
    response = page_as(owner).post(f"{base(lenient.resource)}{lenient.pk}/delete/")
    assert response.status_code == 400
    assert "is assigned to support" in response.content.decode()
    assert ContentFilter.objects.filter(pk=lenient.pk).exists()


def test_delete_removes_an_unassigned_filter(page_as, editor, strict):
    response = page_as(editor).post(f"{base(strict.resource)}{strict.pk}/delete/")
    assert response.status_code == 302
    assert not ContentFilter.objects.filter(pk=strict.pk).exists()


def test_delete_needs_post_an_editor_and_membership(page_as, owner, reviewer, outsider, strict):
    url = f"{base(strict.resource)}{strict.pk}/delete/"
    assert page_as(owner).get(url).status_code == 405
    assert page_as(reviewer).post(url).status_code == 403
    assert page_as(outsider).post(url).status_code == 404
    assert ContentFilter.objects.filter(pk=strict.pk).exists()
    assert Deployment.objects.count() == 0
