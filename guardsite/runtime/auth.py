"""Who is calling the runtime API: the resource behind an API key, whether it may, how often.

Each surface (Content Safety, moderations, chat completions) renders a RuntimeAccessError in its
own documented error shape; the decision is made here once.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from guardsite.keys import hash_key, resource_for_key
from guardsite.models import Resource


@dataclass
class RuntimeAccessError(Exception):
    status: int
    code: str
    message: str
    retry_after: int | None = None


def presented_key(request: HttpRequest) -> str:
    """The key from Ocp-Apim-Subscription-Key, api-key, or Authorization: Bearer."""
    for header in ("Ocp-Apim-Subscription-Key", "api-key"):
        value = request.headers.get(header)
        if value:
            return value.strip()
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return token.strip()
    return ""


def authenticate(request: HttpRequest) -> Resource:
    key = presented_key(request)
    if not key:
        raise RuntimeAccessError(
            401,
            "Unauthorized",
            "Access denied: send a valid API key in the Ocp-Apim-Subscription-Key, api-key or "
            "Authorization: Bearer header.",
        )
    resource = resource_for_key(key)
    if resource is None:
        raise RuntimeAccessError(
            401, "Unauthorized", "Access denied due to an invalid API key for this resource."
        )
    if resource.status != Resource.Status.ACTIVE:
        raise RuntimeAccessError(
            403,
            "Forbidden",
            f"Resource '{resource.name}' is {resource.status}: its runtime access is refused. "
            "Contact your administrator.",
        )
    check_rate_limit(hash_key(key))
    return resource


def check_rate_limit(key_hash: str) -> None:
    """A fixed one-second window per key in the shared cache (Redis in production)."""
    limit = settings.GUARDSITE_RATE_LIMIT_PER_SECOND
    if limit <= 0:
        return
    window = int(time.time())
    bucket = f"rl:{key_hash[:32]}:{window}"
    # add() is atomic: it only sets the counter when the window starts.
    if cache.add(bucket, 1, timeout=2):
        return
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr: a fresh window
        cache.add(bucket, 1, timeout=2)
        return
    if count > limit:
        raise RuntimeAccessError(
            429,
            "TooManyRequests",
            f"Rate limit of {limit} requests per second per key exceeded. Retry after 1 second.",
            retry_after=1,
        )
