"""A fake of an OpenAI-style ``POST /v1/moderations`` endpoint.

Requests must carry ``Authorization: Bearer KEY`` and a JSON body whose ``input`` is a string or a
list of strings (at most ``max_inputs``); ``model`` is optional. Each input is answered with all
13 categories: a text containing a marker word gets that marker's scores, every other score is
``base_score``; ``flagged`` and the category booleans follow ``flag_threshold``.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.server import ApiError, OpenAIStyleServer, RecordedRequest, Reply, json_body

MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
API_KEY = "sk-fake-moderations-key"

# marker word -> the category scores it raises
DEFAULT_SCORES: dict[str, dict[str, float]] = {
    "hatemarker": {"hate": 0.91},
    "harassmarker": {"harassment/threatening": 0.7},
    "sexmarker": {"sexual": 0.55, "sexual/minors": 0.12},
    "fightmarker": {"violence/graphic": 0.83},
    "hurtmarker": {"self-harm/intent": 0.3},
    "stealmarker": {"illicit": 0.95},
}


class FakeModerations(OpenAIStyleServer):
    def __init__(
        self,
        api_key: str | None = API_KEY,
        scores: dict[str, dict[str, float]] | None = None,
        base_score: float = 0.001,
        flag_threshold: float = 0.5,
        max_inputs: int = 32,
    ):
        super().__init__(api_key)
        self.scores = dict(DEFAULT_SCORES if scores is None else scores)
        self.base_score = base_score
        self.flag_threshold = flag_threshold
        self.max_inputs = max_inputs
        self._ids = itertools.count(1)
        self.routes = {("POST", "/v1/moderations"): self._moderate}

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def _moderate(self, request: RecordedRequest) -> Reply:
        self.check_auth(request)
        body = json_body(request)
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            raise ApiError(400, "invalid_value", "input must be a string or an array of strings.")
        if not inputs:
            raise ApiError(400, "invalid_value", "input must not be empty.")
        if len(inputs) > self.max_inputs:
            raise ApiError(
                400, "invalid_value", f"input may hold at most {self.max_inputs} strings."
            )
        model = body.get("model", "omni-moderation-latest")
        if not isinstance(model, str):
            raise ApiError(400, "invalid_value", "model must be a string.")
        return Reply(
            200,
            {
                "id": f"modr-{next(self._ids)}",
                "model": model,
                "results": [self._result(text) for text in inputs],
            },
        )

    def _result(self, text: str) -> dict[str, Any]:
        scores = dict.fromkeys(MODERATION_CATEGORIES, self.base_score)
        lowered = text.lower()
        for marker, raised in self.scores.items():
            if marker in lowered:
                for category, score in raised.items():
                    scores[category] = max(scores[category], score)
        categories = {name: score >= self.flag_threshold for name, score in scores.items()}
        return {
            "flagged": any(categories.values()),
            "categories": categories,
            "category_scores": scores,
            "category_applied_input_types": {name: ["text"] for name in MODERATION_CATEGORIES},
        }
