"""Access, versions, limits and bad input on the data plane: precise 4xx, never a write."""

import pytest
from azure.ai.contentsafety import ContentSafetyClient
from azure.ai.contentsafety.models import AnalyzeTextOptions, TextBlocklist
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from blocklists.models import Blocklist, BlocklistItem
from guardsite.models import Resource
from review.models import ClassificationEvent

ANALYZE = "/contentsafety/text:analyze?api-version=2024-09-01"


def test_an_invalid_key_is_401_unauthorized(live_server):
    client = ContentSafetyClient(live_server.url, AzureKeyCredential("not-a-key"), retry_total=0)

    with pytest.raises(ClientAuthenticationError) as caught:
        client.analyze_text(AnalyzeTextOptions(text="hi"))

    assert caught.value.status_code == 401
    assert caught.value.error.code == "Unauthorized"


def test_a_missing_key_is_401(client):
    response = client.post(ANALYZE, {"text": "hi"}, content_type="application/json")

    assert response.status_code == 401
    assert response["x-ms-error-code"] == "Unauthorized"


@pytest.mark.parametrize("status", [Resource.Status.SUSPENDED, Resource.Status.TERMINATED])
def test_a_suspended_or_terminated_resource_is_403(cs_client, acme, status):
    acme.status = status
    acme.save()

    with pytest.raises(HttpResponseError) as caught:
        cs_client.analyze_text(AnalyzeTextOptions(text="hi"))

    assert caught.value.status_code == 403
    assert caught.value.error.code == "Forbidden"
    assert str(status) in caught.value.error.message


def test_a_regenerated_key_stops_working_at_once(cs_client, acme):
    from guardsite.keys import regenerate_key

    cs_client.analyze_text(AnalyzeTextOptions(text="hi"))  # cached as valid
    regenerate_key(acme, 1, acting_user=None)

    with pytest.raises(ClientAuthenticationError):
        cs_client.analyze_text(AnalyzeTextOptions(text="hi"))


def test_over_the_rate_limit_is_429_with_retry_after(cs_client, settings):
    settings.GUARDSITE_RATE_LIMIT_PER_SECOND = 2
    statuses, retry_after = [], None
    for _ in range(6):
        try:
            cs_client.analyze_text(AnalyzeTextOptions(text="hi"))
            statuses.append(200)
        except HttpResponseError as error:
            statuses.append(error.status_code)
            assert error.error.code == "TooManyRequests"
            retry_after = error.response.headers["Retry-After"]

    assert 429 in statuses and statuses[0] == 200
    assert retry_after == "1"


@pytest.mark.parametrize("version", ["2022-01-01", "2024-09-01x"])
def test_an_unknown_api_version_is_a_400_naming_the_supported_ones(live_server, live_key, version):
    client = ContentSafetyClient(
        live_server.url, AzureKeyCredential(live_key), api_version=version, retry_total=0
    )

    with pytest.raises(HttpResponseError) as caught:
        client.analyze_text(AnalyzeTextOptions(text="hi"))

    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidRequestBody"
    assert caught.value.error.message == (
        f"The api-version '{version}' is not supported. Supported versions: 2023-10-01, "
        "2024-09-01, 2024-09-15-preview, 2026-09-01-preview."
    )


def test_a_missing_api_version_is_a_400(client, live_key):
    response = client.post(
        "/contentsafety/text:analyze",
        {"text": "hi"},
        content_type="application/json",
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=live_key,
    )

    assert response.status_code == 400
    assert response.json()["error"]["target"] == "api-version"


BAD_BODIES = [
    (b'{"text": "unterminated', "The body is not valid JSON: Unterminated string"),
    (b"[1, 2]", "The body must be a JSON object, not an array."),
    (b"", "The request body is empty; a JSON object is required."),
    (b'{"text": NaN}', "The body is not valid JSON: NaN is not a JSON value."),
    (b'{"text": "\\xff"}'.replace(b"\\xff", b"\xff"), "The body is not valid UTF-8"),
    (b'{"text": 42}', "text must be a string, not a number."),
    (b'{"text": null}', "text is required."),
    (b"{}", "text is required."),
    (b'{"text": "a\\ud800b"}', "text contains an unpaired UTF-16 surrogate escape."),
    (b'{"text": "hi", "categories": "Hate"}', "categories must be an array, not a string."),
    (b'{"text": "hi", "categories": ["Violent"]}', "categories[0] is 'Violent'"),
    (b'{"text": "hi", "outputType": "TenLevels"}', "outputType must be one of"),
    (b'{"text": "hi", "haltOnBlocklistHit": "yes"}', "haltOnBlocklistHit must be true or false"),
    (b'{"text": "hi", "blocklistNames": [1]}', "blocklistNames[0] must be a string"),
]


@pytest.mark.parametrize(("raw", "message"), BAD_BODIES)
def test_bad_analyze_bodies_are_precise_400s(client, live_key, acme, raw, message):
    response = client.generic(
        "POST",
        ANALYZE,
        data=raw,
        content_type="application/json",
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=live_key,
    )

    assert response.status_code == 400
    assert response["x-ms-error-code"] == "InvalidRequestBody"
    assert response.json()["error"]["message"].startswith(message)
    assert ClassificationEvent.objects.count() == 0


def test_a_wrong_content_type_is_415(client, live_key):
    response = client.generic(
        "POST",
        ANALYZE,
        data=b"text=hi",
        content_type="application/x-www-form-urlencoded",
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=live_key,
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "UnsupportedMediaType"


def test_a_wrong_method_is_405_with_allow(client, live_key):
    response = client.get(ANALYZE, HTTP_OCP_APIM_SUBSCRIPTION_KEY=live_key)

    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_unknown_routes_answer_in_the_error_shape(client, live_key):
    response = client.get(
        "/contentsafety/text:translate?api-version=2024-09-01",
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=live_key,
    )

    assert response.status_code == 404
    assert response["x-ms-error-code"] == "ResourceNotFound"


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"blocklistItems": [{"text": "ok"}, {"text": 5}]}, "text"),
        ({"blocklistItems": [{"text": "ok"}, "bare"]}, "blocklistItems[1]"),
        ({"blocklistItems": [{"text": "ok"}, {"text": "x" * 129}]}, "text"),
        ({"blocklistItems": [{"text": "ok"}, {"text": "a\u0000b"}]}, "blocklistItems[1]"),
        ({"blocklistItems": [{"text": "ok"}, {"text": "   "}]}, "blocklistItems[1]"),
        ({"blocklistItems": [{"text": "ok"}, {"text": "ok"}]}, "blocklistItems[1]"),
        ({"blocklistItems": [{"text": "ok", "isRegex": "true"}]}, "isRegex"),
        ({"blocklistItems": []}, "blocklistItems"),
        ({"blocklistItems": {"text": "ok"}}, "blocklistItems"),
    ],
)
def test_bad_items_are_refused_and_nothing_is_written(client, live_key, acme, body, target):
    Blocklist.objects.create(resource=acme, name="spam")

    response = client.post(
        "/contentsafety/text/blocklists/spam:addOrUpdateBlocklistItems?api-version=2024-09-01",
        body,
        content_type="application/json",
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=live_key,
    )

    assert response.status_code == 400, response.content
    assert response.json()["error"]["target"] == target
    assert BlocklistItem.objects.count() == 0


def test_a_body_name_that_differs_from_the_path_is_refused(blocklist_client, acme):
    with pytest.raises(HttpResponseError) as caught:
        blocklist_client.create_or_update_text_blocklist(
            "spam", TextBlocklist(blocklist_name="ham")
        )

    assert caught.value.status_code == 400
    assert not Blocklist.objects.filter(resource=acme).exists()


def test_a_description_over_1024_characters_is_refused(blocklist_client, acme):
    with pytest.raises(HttpResponseError) as caught:
        blocklist_client.create_or_update_text_blocklist(
            "spam", TextBlocklist(blocklist_name="spam", description="d" * 1025)
        )

    assert caught.value.status_code == 400
    assert not Blocklist.objects.filter(resource=acme).exists()


@pytest.mark.parametrize("query", ["top=-1", "skip=abc", "maxpagesize=0", "top=１"])
def test_bad_paging_parameters_are_400(client, live_key, acme, query):
    Blocklist.objects.create(resource=acme, name="spam")

    response = client.get(
        f"/contentsafety/text/blocklists/spam/blocklistItems?api-version=2024-09-01&{query}",
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=live_key,
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestBody"


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400, "The body is nested too deeply."),
        (b'{"text": "' + b"a" * (2 << 20) + b'"}', 413, "The body is over 1,048,576 bytes."),
    ],
)
def test_pathological_bodies_are_refused_not_crashed(client, live_key, raw, status, message):
    response = client.generic(
        "POST",
        ANALYZE,
        data=raw,
        content_type="application/json",
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=live_key,
    )

    assert (response.status_code, response.json()["error"]["message"]) == (status, message)


def test_a_nul_character_is_analysed_and_recorded_without_it(cs_client, acme):
    from tests.runtime.conftest import wait_for_events

    result = cs_client.analyze_text(AnalyzeTextOptions(text="tea\u0000time"))

    [event] = wait_for_events(acme, 1)
    assert len(result.categories_analysis) == 4
    assert event.content == "tea\ufffdtime"
