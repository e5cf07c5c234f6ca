"""External classifiers behind the ``HarmModel`` interface of ``classifier.py``.

Any of the three adapters here can be passed as ``model=`` to ``analyzer.Analyzer`` in place of the
trained local model:

* ``ContentSafetyClassifier``: the cloud Content Safety API (``text:analyze`` for the four harm
  categories at eight severity levels, ``text:shieldPrompt`` for prompt and document attacks);
* ``ModerationsClassifier``: an OpenAI-style ``/moderations`` endpoint (harm categories only);
* ``GuardModelClassifier``: an OpenAI-compatible ``/chat/completions`` endpoint serving a
  Llama-Guard-style model that answers ``safe`` or ``unsafe`` plus hazard codes (harm only).

Every failure to get a usable answer (timeout, connection error, non-2xx status, a body that does
not follow the documented format) raises one ``ExternalClassifierError``, which the gateway turns
into the ``content_filter_error`` annotation. Keys travel only in request headers: they are never
put in messages, reprs or logs.

Neither the moderations API nor a Llama Guard model detects prompt attacks. Their adapters report
attack and indirect scores of 0.0 and ``attack_detected`` / ``indirect_detected`` all False, so a
filter that blocks jailbreaks or indirect attacks needs the local model or Content Safety.

The interface scores each text independently and does not say which texts are prompts and which
are documents (the analyzer scores both in one call), so ``ContentSafetyClassifier`` shields every
text both as a user prompt and as a document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import numpy as np

from guardsite.engine.classifier import detect_language
from guardsite.engine.types import CATEGORIES, MAX_SEVERITY

HEADS = (*CATEGORIES, "any", "attack", "indirect")
KINDS = ("local", "content_safety", "moderations", "guard_model")
DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 8

# The Content Safety API accepts at most 10,000 characters per text (and in total for the documents
# of one shieldPrompt call); longer texts are split and the worst chunk counts.
CONTENT_SAFETY_MAX_CHARS = 10_000
CONTENT_SAFETY_CATEGORIES = {
    "Hate": "hate",
    "Sexual": "sexual",
    "Violence": "violence",
    "SelfHarm": "self_harm",
}

# Moderations category -> our category; the score is the maximum over the mapped keys. "illicit"
# and "illicit/violent" have no counterpart among the four categories: they count towards "any"
# only.
MODERATION_CATEGORIES = {
    "hate": "hate",
    "hate/threatening": "hate",
    "harassment": "hate",
    "harassment/threatening": "hate",
    "sexual": "sexual",
    "sexual/minors": "sexual",
    "violence": "violence",
    "violence/graphic": "violence",
    "self-harm": "self_harm",
    "self-harm/intent": "self_harm",
    "self-harm/instructions": "self_harm",
}
# Moderation scores are probabilities, not severities, and the API publishes neither calibrated
# severities nor the thresholds behind its own ``flagged``. Severity is the number of these
# thresholds a score reaches (monotonic): below 0.02 safe (0); 0.02 -> 1; 0.10 -> 2 (low);
# 0.25 -> 3; 0.50 -> 4 (medium, so the Default filter blocks at even odds); 0.65 -> 5;
# 0.80 -> 6 (high); 0.92 -> 7.
MODERATION_SEVERITY_THRESHOLDS = (0.02, 0.10, 0.25, 0.50, 0.65, 0.80, 0.92)
MODERATIONS_BATCH_SIZE = 32

# Llama Guard 3 hazard codes -> our category. The others have no counterpart and make the text
# "any"-unsafe only: S2 non-violent crimes, S3 sex-related crimes, S5 defamation, S6 specialized
# advice, S7 privacy, S8 intellectual property, S13 elections, S14 code interpreter abuse.
GUARD_CATEGORIES = {
    "S1": "violence",  # violent crimes
    "S4": "sexual",  # child sexual exploitation
    "S9": "violence",  # indiscriminate weapons
    "S10": "hate",
    "S11": "self_harm",  # suicide & self-harm
    "S12": "sexual",  # sexual content
}
GUARD_UNSAFE_SEVERITY = 6  # a guard model gives a verdict, not a degree: unsafe is "high"
_GUARD_CODE = re.compile(r"\bS(\d{1,2})\b")

_T = TypeVar("_T")
_R = TypeVar("_R")


class ExternalClassifierError(Exception):
    """An external classifier gave no usable answer.

    ``status_code`` is the upstream HTTP status (None for timeouts and connection errors);
    ``code`` and ``upstream_message`` come from the upstream error body when it has one.
    """

    def __init__(
        self,
        provider: str,
        reason: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        upstream_message: str | None = None,
    ):
        self.provider = provider
        self.reason = reason
        self.status_code = status_code
        self.code = code
        self.upstream_message = upstream_message
        parts = [f"{provider}: {reason}"]
        if status_code is not None:
            parts.append(f"HTTP {status_code}")
        if code:
            parts.append(code)
        if upstream_message:
            parts.append(upstream_message)
        super().__init__(" - ".join(parts))


class _ExternalClassifier:
    """HTTP plumbing and the parts of the model interface every adapter shares."""

    provider = "external"

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        timeout: float = DEFAULT_TIMEOUT,
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ):
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.base_url = _validated_url(base_url)
        self.host = urlsplit(self.base_url).netloc
        self.max_concurrency = max_concurrency
        # One client per adapter: connections are kept alive and reused across calls, and the
        # client is safe to share between the worker threads below.
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(
                max_connections=max_concurrency, max_keepalive_connections=max_concurrency
            ),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'model_version', self.host)}>"

    # --- the model interface ---------------------------------------------------------------

    def severity(self, category: str, scores: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def attack_detected(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores) >= 0.5

    def indirect_detected(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores) >= 0.5

    def detect_language(self, texts: Sequence[str]) -> list[str]:
        # None of the services reports a language; the local heuristic needs no model artefacts.
        return [detect_language(text) for text in texts]

    # --- helpers ---------------------------------------------------------------------------

    def _post(self, url: str, body: dict[str, Any], params: dict[str, str] | None = None) -> Any:
        """POST JSON and return the decoded JSON body, or raise ExternalClassifierError."""
        try:
            response = self._client.post(url, json=body, params=params)
        except httpx.TimeoutException as error:
            raise ExternalClassifierError(
                self.provider, f"timed out ({type(error).__name__})"
            ) from error
        except httpx.HTTPError as error:
            raise ExternalClassifierError(
                self.provider, f"request failed ({type(error).__name__}: {error})"
            ) from error
        if not response.is_success:
            code, message = _error_details(response)
            raise ExternalClassifierError(
                self.provider,
                "upstream error",
                status_code=response.status_code,
                code=code,
                upstream_message=message,
            )
        try:
            return response.json()
        except ValueError as error:
            raise self._malformed("the body is not JSON", response.status_code) from error

    def _malformed(self, detail: str, status_code: int | None = 200) -> ExternalClassifierError:
        return ExternalClassifierError(
            self.provider, f"malformed response: {detail}", status_code=status_code
        )

    def _map(self, function: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
        """``function`` over ``items`` in order, up to ``max_concurrency`` requests at a time."""
        if len(items) <= 1 or self.max_concurrency == 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(items))) as pool:
            return list(pool.map(function, items))


class ContentSafetyClassifier(_ExternalClassifier):
    """The cloud Content Safety API: severities 0..7 for the four categories, and prompt shields.

    A category's score is its severity / 7, so ``severity()`` returns the service's severity
    exactly. "any" is the highest category score; "attack" and "indirect" are 1.0 when
    ``text:shieldPrompt`` reports an attack (in the text as a user prompt, respectively as a
    document) and 0.0 otherwise.
    """

    provider = "content_safety"

    def __init__(
        self,
        endpoint: str,
        key: str,
        api_version: str = "2024-09-01",
        timeout: float = DEFAULT_TIMEOUT,
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ):
        if not key:
            raise ValueError("a Content Safety key is required")
        super().__init__(endpoint, {"Ocp-Apim-Subscription-Key": key}, timeout, max_concurrency)
        self.api_version = api_version
        self.model_version = f"external:content-safety@{self.host}"

    def score(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        rows = self._map(self._score_text, list(texts))
        scores = {head: np.zeros(len(rows), np.float64) for head in HEADS}
        for index, row in enumerate(rows):
            for head, value in row.items():
                scores[head][index] = value
        return scores

    def severity(self, category: str, scores: np.ndarray) -> np.ndarray:
        severities = np.rint(np.asarray(scores, np.float64) * MAX_SEVERITY)
        return np.clip(severities, 0, MAX_SEVERITY).astype(np.int64)

    def _score_text(self, text: str) -> dict[str, float]:
        row = dict.fromkeys(HEADS, 0.0)
        for chunk in split_text(text, CONTENT_SAFETY_MAX_CHARS):
            if not chunk.strip():
                continue  # the service rejects empty text, and there is nothing to find in it
            for category, severity in self._analyze(chunk).items():
                row[category] = max(row[category], severity / MAX_SEVERITY)
            attack, indirect = self._shield(chunk)
            row["attack"] = max(row["attack"], float(attack))
            row["indirect"] = max(row["indirect"], float(indirect))
        row["any"] = max(row[category] for category in CATEGORIES)
        return row

    def _analyze(self, text: str) -> dict[str, int]:
        body = {
            "text": text,
            "categories": list(CONTENT_SAFETY_CATEGORIES),
            "outputType": "EightSeverityLevels",
        }
        data = self._post(self._url("text:analyze"), body, {"api-version": self.api_version})
        analyses = data.get("categoriesAnalysis") if isinstance(data, dict) else None
        if not isinstance(analyses, list):
            raise self._malformed("no categoriesAnalysis list")
        severities: dict[str, int] = {}
        for analysis in analyses:
            name = analysis.get("category") if isinstance(analysis, dict) else None
            severity = analysis.get("severity") if isinstance(analysis, dict) else None
            if name not in CONTENT_SAFETY_CATEGORIES:
                raise self._malformed(f"unknown category {name!r}")
            if not isinstance(severity, int) or isinstance(severity, bool):
                raise self._malformed(f"severity {severity!r} for {name} is not an integer")
            if not 0 <= severity <= MAX_SEVERITY:
                raise self._malformed(f"severity {severity} for {name} is not 0..7")
            severities[CONTENT_SAFETY_CATEGORIES[name]] = severity
        missing = set(CATEGORIES) - set(severities)
        if missing:
            raise self._malformed(f"no severity for {', '.join(sorted(missing))}")
        return severities

    def _shield(self, text: str) -> tuple[bool, bool]:
        body = {"userPrompt": text, "documents": [text]}
        data = self._post(self._url("text:shieldPrompt"), body, {"api-version": self.api_version})
        try:
            attack = data["userPromptAnalysis"]["attackDetected"]
            [document] = data["documentsAnalysis"]
            indirect = document["attackDetected"]
        except (KeyError, TypeError, ValueError) as error:
            raise self._malformed("no userPromptAnalysis/documentsAnalysis verdicts") from error
        if not isinstance(attack, bool) or not isinstance(indirect, bool):
            raise self._malformed("attackDetected is not a boolean")
        return attack, indirect

    def _url(self, operation: str) -> str:
        return f"{self.base_url}/contentsafety/{operation}"


class ModerationsClassifier(_ExternalClassifier):
    """An OpenAI-style moderations endpoint: category scores in, four categories out.

    Each of our categories takes the highest score of the moderation categories mapped to it
    (``MODERATION_CATEGORIES``), severity follows ``MODERATION_SEVERITY_THRESHOLDS``, and "any" is
    the highest of all category scores returned. There is no attack signal: "attack" and
    "indirect" are 0.0 and never detected, so jailbreak and indirect-attack filters need the
    local model or Content Safety alongside this mode.
    """

    provider = "moderations"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str = "omni-moderation-latest",
        timeout: float = DEFAULT_TIMEOUT,
        batch_size: int = MODERATIONS_BATCH_SIZE,
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ):
        if not api_key:
            raise ValueError("a moderations API key is required")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        super().__init__(base_url, {"Authorization": f"Bearer {api_key}"}, timeout, max_concurrency)
        self.model = model
        self.batch_size = batch_size
        self.model_version = f"external:moderations:{model}@{self.host}"

    def score(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        texts = list(texts)
        batches = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        rows = [row for batch in self._map(self._score_batch, batches) for row in batch]
        scores = {head: np.zeros(len(rows), np.float64) for head in HEADS}
        for index, row in enumerate(rows):
            for head, value in row.items():
                scores[head][index] = value
        return scores

    def severity(self, category: str, scores: np.ndarray) -> np.ndarray:
        thresholds = np.asarray(MODERATION_SEVERITY_THRESHOLDS)
        return np.searchsorted(thresholds, np.asarray(scores), side="right").astype(np.int64)

    def attack_detected(self, scores: np.ndarray) -> np.ndarray:
        return np.zeros(np.shape(scores), bool)

    def indirect_detected(self, scores: np.ndarray) -> np.ndarray:
        return np.zeros(np.shape(scores), bool)

    def _score_batch(self, texts: list[str]) -> list[dict[str, float]]:
        data = self._post(f"{self.base_url}/moderations", {"model": self.model, "input": texts})
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or len(results) != len(texts):
            raise self._malformed(f"expected {len(texts)} results")
        return [self._row(result) for result in results]

    def _row(self, result: Any) -> dict[str, float]:
        category_scores = result.get("category_scores") if isinstance(result, dict) else None
        if not isinstance(category_scores, dict):
            raise self._malformed("a result has no category_scores")
        row = dict.fromkeys(HEADS, 0.0)
        for name, value in category_scores.items():
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                raise self._malformed(f"score {value!r} for {name} is not in 0..1")
            row["any"] = max(row["any"], float(value))
            category = MODERATION_CATEGORIES.get(name)
            if category is not None:
                row[category] = max(row[category], float(value))
        return row


class GuardModelClassifier(_ExternalClassifier):
    """A Llama-Guard-style model behind an OpenAI-compatible chat-completions endpoint.

    The text goes in as the user turn (``role="prompt"``) or as the assistant turn after an empty
    user turn (``role="completion"``; ``with_role`` gives a sibling sharing the connection pool).
    The model answers ``safe``, or ``unsafe`` and a line of hazard codes (``S1,S10``). Each
    category a reported code maps to (``GUARD_CATEGORIES``) scores 1.0 with severity 6 (high);
    everything else scores 0.0. "any" is 1.0 for every unsafe verdict, including ones whose codes
    map to no category. No attack signal, as for moderations.
    """

    provider = "guard_model"
    ROLES = ("prompt", "completion")

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        timeout: float = DEFAULT_TIMEOUT,
        role: str = "prompt",
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ):
        if not model:
            raise ValueError("a guard model name is required")
        if role not in self.ROLES:
            raise ValueError(f"role must be 'prompt' or 'completion', not {role!r}")
        # Self-hosted OpenAI-compatible servers often run without a key.
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        super().__init__(base_url, headers, timeout, max_concurrency)
        self.model = model
        self.role = role
        self.model_version = f"external:guard-model:{model}@{self.host}"

    def with_role(self, role: str) -> GuardModelClassifier:
        """The same classifier judging texts as ``role`` ("prompt" or "completion").

        The sibling shares this one's HTTP client: closing either closes both.
        """
        if role not in self.ROLES:
            raise ValueError(f"role must be 'prompt' or 'completion', not {role!r}")
        sibling = object.__new__(GuardModelClassifier)
        sibling.__dict__.update(self.__dict__)
        sibling.role = role
        return sibling

    def score(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        verdicts = self._map(self._classify, list(texts))
        scores = {head: np.zeros(len(verdicts), np.float64) for head in HEADS}
        for index, (unsafe, codes) in enumerate(verdicts):
            if unsafe:
                scores["any"][index] = 1.0
            for code in codes:
                category = GUARD_CATEGORIES.get(code)
                if category is not None:
                    scores[category][index] = 1.0
        return scores

    def severity(self, category: str, scores: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(scores) >= 0.5, GUARD_UNSAFE_SEVERITY, 0).astype(np.int64)

    def attack_detected(self, scores: np.ndarray) -> np.ndarray:
        return np.zeros(np.shape(scores), bool)

    def indirect_detected(self, scores: np.ndarray) -> np.ndarray:
        return np.zeros(np.shape(scores), bool)

    def _classify(self, text: str) -> tuple[bool, list[str]]:
        if not text.strip():
            return False, []
        if self.role == "prompt":
            messages = [{"role": "user", "content": text}]
        else:
            messages = [{"role": "user", "content": ""}, {"role": "assistant", "content": text}]
        body = {"model": self.model, "messages": messages, "temperature": 0, "max_tokens": 20}
        data = self._post(f"{self.base_url}/chat/completions", body)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise self._malformed("no choices[0].message.content") from error
        if not isinstance(content, str):
            raise self._malformed("the message content is not text")
        return self._parse_verdict(content)

    def _parse_verdict(self, content: str) -> tuple[bool, list[str]]:
        """``safe`` -> (False, []); ``unsafe\\nS1,S10`` -> (True, ["S1", "S10"])."""
        lines = content.strip().splitlines()
        verdict = lines[0].strip().lower() if lines else ""
        if verdict == "safe":
            return False, []
        if verdict.startswith("unsafe"):
            rest = " ".join([verdict[len("unsafe") :], *lines[1:]])
            return True, [f"S{int(number)}" for number in _GUARD_CODE.findall(rest.upper())]
        raise self._malformed(f"expected 'safe' or 'unsafe', got {content[:40]!r}")


ExternalClassifier = ContentSafetyClassifier | ModerationsClassifier | GuardModelClassifier

_SPEC_KEYS = {
    "content_safety": {"endpoint", "key", "api_version", "timeout"},
    "moderations": {"base_url", "api_key", "model", "timeout"},
    "guard_model": {"base_url", "api_key", "model", "timeout", "role"},
}
# Each kind takes the other spelling of the URL and key too.
_ALIASES = {"endpoint": "base_url", "base_url": "endpoint", "key": "api_key", "api_key": "key"}


def build_classifier(spec: dict[str, Any] | None) -> ExternalClassifier | None:
    """An external classifier from a plain configuration dict; None means "use the local model".

    ``{"kind": "content_safety", "endpoint": ..., "key": ..., "api_version"?, "timeout"?}``,
    ``{"kind": "moderations", "base_url": ..., "api_key": ..., "model"?, "timeout"?}``,
    ``{"kind": "guard_model", "base_url": ..., "api_key"?, "model": ..., "role"?, "timeout"?}``;
    ``endpoint``/``base_url`` and ``key``/``api_key`` are interchangeable. ``{"kind": "local"}``
    and None return None. Raises ValueError naming what is wrong.
    """
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ValueError("the classifier specification must be an object")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "local":
        unknown = set(spec) - {"kind"}
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ValueError(f"the local classifier takes no settings, not {names}")
        return None
    options = _canonical_options(kind, spec)
    timeout = _timeout(options.pop("timeout", DEFAULT_TIMEOUT))
    url = _required_string(options, "endpoint" if kind == "content_safety" else "base_url")
    _validated_url(url)
    if kind == "content_safety":
        return ContentSafetyClassifier(
            url,
            _required_string(options, "key"),
            api_version=_optional_string(options, "api_version") or "2024-09-01",
            timeout=timeout,
        )
    if kind == "moderations":
        return ModerationsClassifier(
            url,
            _required_string(options, "api_key"),
            model=_optional_string(options, "model") or "omni-moderation-latest",
            timeout=timeout,
        )
    role = _optional_string(options, "role") or "prompt"
    if role not in GuardModelClassifier.ROLES:
        raise ValueError(f"role must be 'prompt' or 'completion', not {role!r}")
    return GuardModelClassifier(
        url,
        _optional_string(options, "api_key"),
        model=_required_string(options, "model"),
        timeout=timeout,
        role=role,
    )


def _canonical_options(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    allowed = _SPEC_KEYS[kind]
    options: dict[str, Any] = {}
    for name, value in spec.items():
        if name == "kind":
            continue
        canonical = name if name in allowed else _ALIASES.get(name)
        if canonical not in allowed:
            names = ", ".join(sorted(allowed))
            raise ValueError(f"{kind} does not take {name!r}; it takes {names}")
        if canonical in options:
            raise ValueError(f"{kind}: give {name!r} or {_ALIASES[name]!r}, not both")
        options[canonical] = value
    return options


def _required_string(options: dict[str, Any], name: str) -> str:
    value = options.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is required and must be a non-empty string")
    return value


def _optional_string(options: dict[str, Any], name: str) -> str | None:
    value = options.get(name)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _timeout(value: Any) -> float:
    if not _is_number(value) or not 0 < value <= 300:
        raise ValueError(f"timeout must be a number of seconds in (0, 300], not {value!r}")
    return float(value)


def _validated_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r} must not carry a query or fragment")
    return url.rstrip("/")


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in consecutive chunks of at most ``limit`` characters, cut at whitespace if it can.

    Cutting at whitespace keeps words whole, so a term the service would flag is not split in two.
    """
    chunks: list[str] = []
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = max(window.rfind(" "), window.rfind("\n"), window.rfind("\t")) + 1
        if cut <= limit // 2:  # no whitespace in the second half: a hard cut beats tiny chunks
            cut = limit
        chunks.append(text[start : start + cut])
        start += cut
    chunks.append(text[start:])
    return chunks


def _error_details(response: httpx.Response) -> tuple[str | None, str | None]:
    """(code, message) from an ``{"error": {"code", "message"}}`` body, else the raw text."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        return (
            None if code is None else str(code),
            None if message is None else str(message)[:500],
        )
    text = response.text.strip()
    return None, text[:500] or response.reason_phrase or None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)
