"""URLs and the one error shape every failure must have."""


def api_url(resource, *parts) -> str:
    tail = "".join(f"{part}/" for part in parts)
    return f"/api/v1/resources/{resource.pk}/{tail}"


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is an error of that status in the documented shape; returns the error."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["message"]
    assert response["x-ms-error-code"] == error["code"]
    if code:
        assert error["code"] == code
    for detail in error.get("details", []):
        assert set(detail) == {"target", "message"}
    return error


def targets(error: dict) -> set[str]:
    return {detail["target"] for detail in error.get("details", [])}
