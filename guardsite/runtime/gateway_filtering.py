"""The content filter as the gateway and the playground apply it.

Which filter applies (the deployment's, the built-in default, or the one named by
``x-policy-id``), what of a request is the prompt and what are documents, and the check itself.
A check never raises: when the classifier fails or exceeds its time budget, the text goes through
unfiltered and its annotation says so (``content_filter_error``), as the compatible service does.
"""

from __future__ import annotations

import concurrent.futures
import copy
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save

from deployments.models import Deployment
from filters.actions import default_filter
from filters.models import ContentFilter
from guardsite import classification
from guardsite.engine.analyzer import Analyzer, analysis_wants
from guardsite.engine.decision import Decision, decide
from guardsite.engine.types import Analysis
from guardsite.models import NAME_VALIDATOR, Resource

logger = logging.getLogger(__name__)

FILTER_ERROR = {
    "error": {"code": "content_filter_error", "message": "The contents are not filtered"}
}
# Documents are marked by the caller; only they are scored for indirect attacks.
DOCUMENTS = re.compile(r'"""\s*<documents>(.*?)</documents>\s*"""', re.DOTALL)

# The model runs in these threads so that a stuck or slow classifier costs a bounded wait. Only
# pure computation runs there: the database work (blocklists, protected works) stays in the
# request thread, so no connection is ever opened by a pool thread.
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="gs-filter")


DEPLOYMENT_NAME = re.compile(r"[0-9A-Za-z._~-]+")
MAX_DEPLOYMENT_NAME = Deployment._meta.get_field("name").max_length or 64
MAX_FILTER_NAME = ContentFilter._meta.get_field("name").max_length or 64


class UnknownPolicy(Exception):
    pass


@dataclass(frozen=True)
class Policy:
    content_filter: ContentFilter
    config: dict[str, Any]

    @property
    def name(self) -> str:
        return self.content_filter.name

    @property
    def streaming_mode(self) -> str:
        return self.config.get("completion", {}).get("streaming_mode", "default")


def resolve_policy(
    resource: Resource, deployment: Deployment | None, policy_name: str | None = None
) -> Policy:
    """``x-policy-id`` names a filter of the same resource (or the built-in one) for one call."""
    if policy_name:
        if len(policy_name) > MAX_FILTER_NAME or "\x00" in policy_name:
            raise UnknownPolicy(policy_name[:MAX_FILTER_NAME])  # no filter can have this name
        content_filter = (
            ContentFilter.objects.filter(resource=resource, name=policy_name).first()
            or ContentFilter.objects.filter(
                resource__isnull=True, is_builtin=True, name=policy_name
            ).first()
        )
        if content_filter is None:
            raise UnknownPolicy(policy_name)
    elif deployment is not None and deployment.content_filter is not None:
        content_filter = deployment.content_filter
    else:
        content_filter = default_filter()
    return Policy(content_filter, content_filter.as_config())


@dataclass(frozen=True)
class Prompt:
    text: str
    documents: tuple[str, ...] = ()


def message_text(content: Any) -> str:
    """A message's text: a string, or the text parts of a content array."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def chat_prompt(messages: Sequence[Any]) -> Prompt:
    """The latest user message, without its document blocks; documents from every message."""
    documents: list[str] = []
    latest_user = ""
    for message in messages:
        if not isinstance(message, dict):
            continue
        text = message_text(message.get("content"))
        documents += [match.strip() for match in DOCUMENTS.findall(text)]
        if message.get("role") == "user":
            latest_user = text
    return Prompt(DOCUMENTS.sub(" ", latest_user).strip(), tuple(documents))


def text_prompt(prompt: Any) -> Prompt:
    """Legacy completions: ``prompt`` is a string or a list of strings (the last one counts)."""
    if isinstance(prompt, list):
        prompt = next((item for item in reversed(prompt) if isinstance(item, str)), "")
    text = prompt if isinstance(prompt, str) else ""
    documents = tuple(match.strip() for match in DOCUMENTS.findall(text))
    return Prompt(DOCUMENTS.sub(" ", text).strip(), documents)


@dataclass(frozen=True)
class Checked:
    """One text's verdict; ``analysis`` is None when the filter could not run."""

    text: str
    analysis: Analysis | None = None
    decision: Decision | None = None
    error: str | None = field(default=None, compare=False)

    @property
    def filtered(self) -> bool:
        return bool(self.decision and self.decision.filtered)

    @property
    def annotations(self) -> dict[str, Any]:
        if self.decision is None:
            return copy.deepcopy(FILTER_ERROR)
        return self.decision.results


class Checker:
    """One side of a policy, prepared once and used for many checks (a stream checks often).

    The database work (compiling attached blocklists, the protected-works index) happens here, in
    the request thread; ``check`` only computes. Neither ever raises.
    """

    def __init__(self, policy: Policy, resource: Resource, direction: str):
        self.config = policy.config
        self.direction = direction
        self.setup_error: Exception | None = None
        try:
            self.blocklists = classification.compiled_blocklists(self.config, direction)
            self.analyzer = Analyzer(
                classification.harm_model(), classification.protected_index(str(resource.pk))
            )
            self.want = analysis_wants(self.config, direction)
        except Exception as exc:
            logger.exception("content filter setup failed; %ss go through unfiltered", direction)
            self.setup_error = exc

    def check(
        self, texts: Sequence[str], documents: Sequence[Sequence[str]] | None = None
    ) -> list[Checked]:
        """Analyse and decide for several texts in one model call."""
        if not texts:
            return []
        if self.setup_error is not None:
            return [Checked(text, error="failure") for text in texts]
        try:
            future = _pool.submit(
                self.analyzer.analyze_batch,
                list(texts),
                self.direction,
                [list(d) for d in documents] if documents else None,
                self.blocklists,
                self.want,
            )
            analyses = future.result(timeout=filter_timeout())
            return [
                Checked(text, analysis, decide(analysis, self.config, self.direction))
                for text, analysis in zip(texts, analyses, strict=True)
            ]
        except concurrent.futures.TimeoutError:
            logger.warning("content filter timed out after %ss", filter_timeout())
            return [Checked(text, error="timeout") for text in texts]
        except Exception:
            logger.exception(
                "content filter failed; the %s goes through unfiltered", self.direction
            )
            return [Checked(text, error="failure") for text in texts]


def check_texts(
    texts: Sequence[str],
    direction: str,
    policy: Policy,
    resource: Resource,
    documents: Sequence[Sequence[str]] | None = None,
) -> list[Checked]:
    """Analyse and decide for several texts of one side in one model call; never raises."""
    if not texts:
        return []
    return Checker(policy, resource, direction).check(texts, documents)


# --- the per-process route cache ------------------------------------------------------------------
#
# Resolving a call's deployment and filter and preparing the filter (compiled blocklists, the
# protected-works index) costs several queries; caching them for a few seconds per process keeps
# the gateway's own overhead to a few milliseconds. A change made in this process clears the cache
# at once (signals below); other processes see it within GUARDSITE_GATEWAY_CACHE_SECONDS.


@dataclass
class Route:
    deployment: Deployment
    policy: Policy
    checkers: dict[str, Checker] = field(default_factory=dict)

    def checker(self, resource: Resource, direction: str) -> Checker:
        checker = self.checkers.get(direction)
        if checker is None:
            checker = Checker(self.policy, resource, direction)
            if checker.setup_error is None:  # a failed setup is retried on the next call
                self.checkers[direction] = checker
        return checker


_routes: dict[tuple, tuple[float, Route]] = {}
_routes_lock = threading.Lock()
_ROUTE_CACHE_SIZE = 10_000


def route_for(resource: Resource, deployment_name: str, policy_name: str | None) -> Route | None:
    """The deployment and policy of a call, None for an unknown deployment; raises UnknownPolicy."""
    seconds = float(getattr(settings, "GUARDSITE_GATEWAY_CACHE_SECONDS", 5.0))
    key = (resource.pk, deployment_name, policy_name or "")
    if not _possible_deployment_name(deployment_name):
        return None  # no deployment can have this name: no query (a NUL would break it)
    now = time.monotonic()
    with _routes_lock:
        cached = _routes.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    # Scoped to the caller's resource: another tenant's deployment does not exist for it.
    deployment = (
        Deployment.objects.select_related("content_filter")
        .filter(resource=resource, name=deployment_name)
        .first()
    )
    if deployment is None:
        return None
    route = Route(deployment, resolve_policy(resource, deployment, policy_name))
    if seconds > 0:
        with _routes_lock:
            if len(_routes) >= _ROUTE_CACHE_SIZE:
                _routes.clear()
            _routes[key] = (now + seconds, route)
    return route


def _possible_deployment_name(name: str) -> bool:
    """Deployment names are 1 to 64 of ``0-9A-Za-z._~-`` (deployments.models)."""
    if not 0 < len(name) <= MAX_DEPLOYMENT_NAME:
        return False
    try:
        NAME_VALIDATOR(name)
    except ValidationError:
        return False
    # The validator's ``$`` also matches before a final newline.
    return DEPLOYMENT_NAME.fullmatch(name) is not None


def clear_route_cache(**_: object) -> None:
    with _routes_lock:
        _routes.clear()


def _connect_cache_signals() -> None:
    from blocklists.models import Blocklist, BlocklistItem
    from filters.models import FilterBlocklist, ProtectedWork

    for model in (Deployment, ContentFilter, FilterBlocklist, Blocklist, BlocklistItem,
                  ProtectedWork, Resource):  # fmt: skip
        uid = f"gateway-routes-{model.__name__}"
        post_save.connect(clear_route_cache, sender=model, dispatch_uid=uid)
        post_delete.connect(clear_route_cache, sender=model, dispatch_uid=f"{uid}-delete")


_connect_cache_signals()


def filter_timeout() -> float:
    return float(getattr(settings, "GUARDSITE_FILTER_TIMEOUT_SECONDS", 5.0))
