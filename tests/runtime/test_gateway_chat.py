"""The chat-completions gateway, non-streaming, through the official openai clients.

Seed 002's scenarios: no filtered content with n=3, n>1 with one filtered choice, a filtered
prompt (400, never sent upstream), the filter system unavailable; seed 003: x-policy-id.
"""

import httpx
import openai
import pytest

from deployments.models import Deployment
from guardsite.models import Resource
from guardsite.runtime import gateway_filtering
from review.models import ClassificationEvent
from tests.runtime.test_gateway_fixtures import *  # noqa: F403 - the shared fixtures
from tests.runtime.test_gateway_fixtures import (
    API_VERSION,
    CALM,
    CALM_2,
    CALM_3,
    INJECTION,
    JAILBREAK,
    make_filter,
    wait_for_events,
)

pytestmark = pytest.mark.django_db(transaction=True)

SEVERITIES = {"hate", "sexual", "violence", "self_harm"}


def user(text):
    return [{"role": "user", "content": text}]


def test_no_filtered_content_with_three_choices_annotates_prompt_and_every_choice(
    openai_client, scripted
):
    completion = openai_client.chat.completions.create(
        model="chat", messages=user("List three travel ideas"), n=3
    )

    assert [choice.message.content for choice in completion.choices] == [CALM, CALM_2, CALM_3]
    assert [choice.finish_reason for choice in completion.choices] == ["stop"] * 3
    [prompt_result] = completion.prompt_filter_results
    assert prompt_result["prompt_index"] == 0
    prompt_annotations = prompt_result["content_filter_results"]
    assert {key: prompt_annotations[key] for key in SEVERITIES} == {
        key: {"filtered": False, "severity": "safe"} for key in SEVERITIES
    }
    assert prompt_annotations["jailbreak"] == {"filtered": False, "detected": False}
    for choice in completion.choices:
        annotations = choice.content_filter_results
        assert all(
            annotations[key] == {"filtered": False, "severity": "safe"} for key in SEVERITIES
        )
        assert annotations["protected_material_text"] == {"filtered": False, "detected": False}
    # The upstream saw the deployment's upstream model, not the deployment name.
    assert scripted.requests[-1]["model"] == "scripted-model"
    assert scripted.requests[-1]["n"] == 3


def test_with_n_three_only_the_filtered_choice_is_withheld(openai_client):
    completion = openai_client.chat.completions.create(
        model="chat", messages=user("Suggest three weekend plans"), n=3
    )

    first, second, third = completion.choices
    assert (first.finish_reason, first.message.content) == ("stop", CALM)
    assert (third.finish_reason, third.message.content) == ("stop", CALM_2)
    assert second.finish_reason == "content_filter"
    assert second.message.content is None
    # THREAT is the reference example of high violence; how close the model gets to that
    # level is the classifier tests' business, the gateway's is to withhold the choice.
    violence = second.content_filter_results["violence"]
    assert violence["filtered"] is True
    assert violence["severity"] in {"medium", "high"}
    assert first.content_filter_results["violence"]["filtered"] is False


def test_filtered_prompt_is_refused_with_400_and_never_sent_upstream(openai_client, scripted):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model="chat", messages=user(JAILBREAK))

    assert caught.value.status_code == 400
    error = caught.value.response.json()["error"]
    assert error["code"] == "content_filter"
    assert error["param"] == "prompt"
    assert error["type"] is None
    assert error["status"] == 400
    assert error["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert error["innererror"]["content_filter_result"]["jailbreak"] == {
        "filtered": True,
        "detected": True,
    }
    assert scripted.requests == []


def test_azure_client_reaches_the_deployment_by_its_path(azure_client, scripted):
    completion = azure_client.chat.completions.create(
        model="chat", messages=[{"role": "system", "content": "Be brief."}, *user("Weather?")]
    )

    assert completion.choices[0].message.content == CALM
    assert completion.prompt_filter_results[0]["content_filter_results"]["hate"]["severity"] == (
        "safe"
    )
    assert len(scripted.requests) == 1


def test_azure_route_without_api_version_is_a_clear_400(live_server, acme_key, deployment):
    response = httpx.post(
        f"{live_server.url}/openai/deployments/chat/chat/completions",
        headers={"api-key": acme_key},
        json={"messages": user("hi")},
    )

    assert response.status_code == 400
    assert "api-version" in response.json()["error"]["message"]


def test_filter_system_unavailable_still_answers_with_content_filter_error(
    openai_client, scripted, monkeypatch
):
    class BrokenModel:
        model_version = "broken"

        def score(self, texts):
            raise RuntimeError("classifier down")

    monkeypatch.setattr(gateway_filtering.classification, "harm_model", lambda: BrokenModel())

    completion = openai_client.chat.completions.create(model="chat", messages=user(JAILBREAK))

    expected = {
        "error": {"code": "content_filter_error", "message": "The contents are not filtered"}
    }
    assert completion.choices[0].message.content == CALM
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].content_filter_results == expected
    assert completion.prompt_filter_results[0]["content_filter_results"] == expected
    assert len(scripted.requests) == 1  # unfiltered, so it went through


def test_filter_timeout_still_answers_with_content_filter_error(
    openai_client, monkeypatch, settings
):
    import time as time_module

    class SlowModel:
        model_version = "slow"

        def score(self, texts):
            time_module.sleep(1.0)
            raise RuntimeError("too late anyway")

    settings.GUARDSITE_FILTER_TIMEOUT_SECONDS = 0.1
    monkeypatch.setattr(gateway_filtering.classification, "harm_model", lambda: SlowModel())

    completion = openai_client.chat.completions.create(model="chat", messages=user("Weather?"))

    assert completion.choices[0].content_filter_results["error"]["code"] == "content_filter_error"


def test_policy_header_overrides_the_deployment_filter_for_one_call(
    openai_client, acme, owner, scripted
):
    make_filter(acme, owner, "no-competitors", blocklist_terms=["Globex"])
    message = user("Compare us with Globex please")

    passed = openai_client.chat.completions.create(model="chat", messages=message)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="chat", messages=message, extra_headers={"x-policy-id": "no-competitors"}
        )

    assert "custom_blocklists" not in passed.prompt_filter_results[0]["content_filter_results"]
    result = caught.value.response.json()["error"]["innererror"]["content_filter_result"]
    assert result["custom_blocklists"] == {
        "filtered": True,
        "details": [{"filtered": True, "id": "no-competitors-terms"}],
    }
    assert len(scripted.requests) == 1


def test_unknown_policy_header_is_invalid_content_filter_policy(openai_client, scripted):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="chat", messages=user("hi"), extra_headers={"x-policy-id": "nope"}
        )

    assert caught.value.response.json() == {
        "error": {
            "code": "InvalidContentFilterPolicy",
            "message": "Your request contains invalid content filter policy. Please provide a "
            "valid policy.",
        }
    }
    assert scripted.requests == []


def test_another_resources_policy_name_is_unknown(openai_client, globex, outsider):
    make_filter(globex, outsider, "globex-only")

    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="chat", messages=user("hi"), extra_headers={"x-policy-id": "globex-only"}
        )

    assert caught.value.response.json()["error"]["code"] == "InvalidContentFilterPolicy"


def test_indirect_attack_is_found_only_in_marked_documents(openai_client, acme, owner, deployment):
    deployment.content_filter = make_filter(
        acme, owner, "shielded", {"prompt_indirect_attack": "block", "prompt_jailbreak": "off"}
    )
    deployment.save()
    documents = '"""<documents>\nQuarterly revenue grew 5%.\n</documents>"""\n' + (
        f'"""<documents>\n{INJECTION}\n</documents>"""'
    )

    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="chat",
            messages=[
                {"role": "system", "content": f"Answer from these documents.\n{documents}"},
                *user("Summarise the documents"),
            ],
        )
    unmarked = openai_client.chat.completions.create(model="chat", messages=user(INJECTION))

    result = caught.value.response.json()["error"]["innererror"]["content_filter_result"]
    assert result["indirect_attack"] == {"filtered": True, "detected": True}
    assert unmarked.prompt_filter_results[0]["content_filter_results"]["indirect_attack"] == {
        "filtered": False,
        "detected": False,
    }


def test_completion_blocklist_hit_withholds_the_choice(openai_client, acme, owner, deployment):
    deployment.content_filter = make_filter(
        acme, owner, "secrets", blocklist_terms=["Bluebird"], direction="completion"
    )
    deployment.save()

    completion = openai_client.chat.completions.create(
        model="chat", messages=user("What is the codename?")
    )

    [choice] = completion.choices
    assert choice.finish_reason == "content_filter"
    assert choice.message.content is None
    assert choice.content_filter_results["custom_blocklists"] == {
        "filtered": True,
        "details": [{"filtered": True, "id": "secrets-terms"}],
    }


def test_another_resources_deployment_is_not_found(live_server, globex_key, deployment):
    client = openai.OpenAI(base_url=live_server.url + "/v1", api_key=globex_key, max_retries=0)

    with client, pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="chat", messages=user("hi"))

    assert caught.value.response.json()["error"]["code"] == "DeploymentNotFound"


def test_suspended_resource_is_forbidden(openai_client, acme, scripted):
    acme.status = Resource.Status.SUSPENDED
    acme.save()

    with pytest.raises(openai.PermissionDeniedError) as caught:
        openai_client.chat.completions.create(model="chat", messages=user("hi"))

    error = caught.value.response.json()["error"]
    assert error["code"] == "Forbidden"
    assert "suspended" in error["message"]
    assert scripted.requests == []


def test_missing_key_is_unauthorized_in_openai_shape(live_server, deployment):
    response = httpx.post(f"{live_server.url}/v1/chat/completions", json={"model": "chat"})

    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_upstream_down_is_a_clear_502(openai_client, deployment, scripted):
    scripted.stop()

    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.chat.completions.create(model="chat", messages=user("hi"))

    assert caught.value.status_code == 502
    error = caught.value.response.json()["error"]
    assert error["code"] == "upstream_unavailable"
    assert "'chat'" in error["message"]


def test_upstream_timeout_is_a_504(openai_client, deployment):
    deployment.upstream_timeout_seconds = 1
    deployment.save()

    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.chat.completions.create(model="chat", messages=user("hang on"))

    assert caught.value.status_code == 504
    assert caught.value.response.json()["error"]["code"] == "upstream_timeout"


def test_one_event_is_recorded_per_prompt_and_per_choice(
    openai_client, acme, deployment, eager_recording
):
    openai_client.chat.completions.create(
        model="chat", messages=user("Suggest three weekend plans"), n=3
    )

    events = wait_for_events(4, resource=acme)
    assert sorted(event.direction for event in events) == ["completion"] * 3 + ["prompt"]
    prompt = next(event for event in events if event.direction == "prompt")
    assert prompt.content == "Suggest three weekend plans"
    assert prompt.deployment_id == deployment.pk
    assert prompt.status == ClassificationEvent.Status.CLASSIFIED
    assert sorted(event.filtered for event in events if event.direction == "completion") == [
        False,
        False,
        True,
    ]


def test_filtered_prompt_is_recorded_too(openai_client, acme, eager_recording):
    with pytest.raises(openai.BadRequestError):
        openai_client.chat.completions.create(model="chat", messages=user(JAILBREAK))

    [event] = wait_for_events(1, resource=acme)
    assert (event.direction, event.filtered) == ("prompt", True)


def test_modified_abuse_monitoring_records_signals_without_content(
    openai_client, acme, eager_recording
):
    Resource.objects.filter(pk=acme.pk).update(modified_abuse_monitoring_approved=True)
    acme.refresh_from_db()
    acme.save()  # clears the runtime key cache

    openai_client.chat.completions.create(model="chat", messages=user("Weather?"))

    events = wait_for_events(2, resource=acme)
    assert [event.content for event in events] == [None, None]
    assert all(event.analysis is not None for event in events)


def test_legacy_completions_are_filtered_too(live_server, acme_key, deployment):
    client = openai.OpenAI(base_url=live_server.url + "/v1", api_key=acme_key, max_retries=0)

    with client:
        completion = client.completions.create(model="chat", prompt="three weekend plans", n=3)

    assert [choice.finish_reason for choice in completion.choices] == [
        "stop",
        "content_filter",
        "stop",
    ]
    assert completion.choices[1].text == ""
    assert completion.choices[0].text == CALM


def test_get_is_not_allowed(live_server, acme_key, deployment):
    response = httpx.get(
        f"{live_server.url}/v1/chat/completions", headers={"Authorization": f"Bearer {acme_key}"}
    )

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_bad_body_is_refused_before_upstream(openai_client, live_server, acme_key, scripted):
    response = httpx.post(
        f"{live_server.url}/openai/deployments/chat/chat/completions?api-version={API_VERSION}",
        headers={"api-key": acme_key},
        json={"messages": [], "n": 0},
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages"
    assert scripted.requests == []


def test_deployment_without_upstream_is_a_clear_502(openai_client, deployment):
    Deployment.objects.filter(pk=deployment.pk).update(upstream_url="")

    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.chat.completions.create(model="chat", messages=user("hi"))

    assert caught.value.response.json()["error"]["code"] == "upstream_not_configured"
