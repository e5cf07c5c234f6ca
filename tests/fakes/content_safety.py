"""A fake of the cloud Content Safety data plane: ``text:analyze`` and ``text:shieldPrompt``.

It validates requests as the service documents them (``api-version`` query parameter,
``Ocp-Apim-Subscription-Key`` header, JSON bodies, the 10,000-character limits, the four category
names, ``outputType``) and answers from small scripted tables: a text containing a marker word gets
that marker's severity in its category; a prompt or document containing an attack marker is
reported as an attack. Errors use the service's body ``{"error": {"code", "message"}}`` and its
``x-ms-error-code`` header.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.server import ApiError, FakeServer, RecordedRequest, Reply, json_body

API_VERSIONS = ("2023-10-01", "2024-09-01")
CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
OUTPUT_TYPES = ("FourSeverityLevels", "EightSeverityLevels")
MAX_TEXT = 10_000
MAX_DOCUMENTS = 5
KEY = "fake-content-safety-key"

# marker word -> (category, severity on the eight-level scale)
DEFAULT_SEVERITIES = {
    "hatemarker": ("Hate", 6),
    "sexmarker": ("Sexual", 4),
    "fightmarker": ("Violence", 5),
    "hurtmarker": ("SelfHarm", 2),
    "mildhatemarker": ("Hate", 3),
}
DEFAULT_ATTACK_MARKERS = ("ignore previous instructions", "you are dan")


class FakeContentSafety(FakeServer):
    def __init__(
        self,
        key: str = KEY,
        severities: dict[str, tuple[str, int]] | None = None,
        attack_markers: tuple[str, ...] = DEFAULT_ATTACK_MARKERS,
    ):
        super().__init__()
        self.key = key
        self.severities = dict(DEFAULT_SEVERITIES if severities is None else severities)
        self.attack_markers = attack_markers
        self.routes = {
            ("POST", "/contentsafety/text:analyze"): self._analyze,
            ("POST", "/contentsafety/text:shieldPrompt"): self._shield_prompt,
        }

    def error_body(self, code: str, message: str) -> dict[str, Any]:
        return {"error": {"code": code, "message": message}}

    def error_headers(self, code: str) -> dict[str, str]:
        return {"x-ms-error-code": code}

    def _check_common(self, request: RecordedRequest) -> dict[str, Any]:
        if request.headers.get("ocp-apim-subscription-key") != self.key:
            raise ApiError(
                401,
                "401",
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure "
                "to provide a valid key for an active subscription and use a correct regional "
                "API endpoint for your resource.",
            )
        version = request.param("api-version")
        if version is None:
            raise ApiError(400, "InvalidRequestBody", "The api-version query parameter is missing.")
        if version not in API_VERSIONS:
            raise ApiError(
                400,
                "InvalidRequestBody",
                f"The api-version '{version}' is not supported. Supported versions: "
                f"{', '.join(API_VERSIONS)}.",
            )
        return json_body(request)

    def _analyze(self, request: RecordedRequest) -> Reply:
        body = self._check_common(request)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise ApiError(400, "InvalidRequestBody", "The text field is required.")
        if len(text) > MAX_TEXT:
            raise ApiError(
                400, "InvalidRequestBody", f"The text is longer than {MAX_TEXT} characters."
            )
        categories = body.get("categories") or list(CATEGORIES)
        if not isinstance(categories, list) or not set(categories) <= set(CATEGORIES):
            raise ApiError(400, "InvalidRequestBody", f"Unknown categories: {categories!r}.")
        output_type = body.get("outputType", "FourSeverityLevels")
        if output_type not in OUTPUT_TYPES:
            raise ApiError(400, "InvalidRequestBody", f"Unknown outputType {output_type!r}.")
        severities = dict.fromkeys(categories, 0)
        lowered = text.lower()
        for marker, (category, severity) in self.severities.items():
            if marker in lowered and category in severities:
                severities[category] = max(severities[category], severity)
        if output_type == "FourSeverityLevels":
            severities = {c: s // 2 * 2 for c, s in severities.items()}
        return Reply(
            200,
            {
                "blocklistsMatch": [],
                "categoriesAnalysis": [
                    {"category": category, "severity": severity}
                    for category, severity in severities.items()
                ],
            },
        )

    def _shield_prompt(self, request: RecordedRequest) -> Reply:
        body = self._check_common(request)
        prompt = body.get("userPrompt")
        documents = body.get("documents")
        if prompt is None and documents is None:
            raise ApiError(400, "InvalidRequestBody", "Give userPrompt, documents or both.")
        if prompt is not None and (not isinstance(prompt, str) or len(prompt) > MAX_TEXT):
            raise ApiError(
                400, "InvalidRequestBody", f"userPrompt must be a string of at most {MAX_TEXT}."
            )
        documents = documents or []
        if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
            raise ApiError(400, "InvalidRequestBody", "documents must be a list of strings.")
        if len(documents) > MAX_DOCUMENTS:
            raise ApiError(400, "InvalidRequestBody", f"At most {MAX_DOCUMENTS} documents.")
        if sum(len(d) for d in documents) > MAX_TEXT:
            raise ApiError(
                400, "InvalidRequestBody", f"The documents exceed {MAX_TEXT} characters in total."
            )
        result: dict[str, Any] = {
            "documentsAnalysis": [{"attackDetected": self._attack(d)} for d in documents]
        }
        if prompt is not None:
            result["userPromptAnalysis"] = {"attackDetected": self._attack(prompt)}
        return Reply(200, result)

    def _attack(self, text: str) -> bool:
        lowered = text.lower()
        return any(marker in lowered for marker in self.attack_markers)
