"""Who is calling the runtime API: the resource behind an API key, whether it may, how often.

Each surface (Content Safety, moderations, chat completions) renders a RuntimeAccessError in its
own documented error shape; the decision is made here once.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from guardsite.keys import hash_key, resource_for_key
from guardsite.models import ApiKey, Resource

# Key -> resource is cached in the process for a few seconds, so the hot path costs no query.
# Saving or deleting a key or a resource clears this process's cache at once; other processes
# (gunicorn workers) see a rotated key, a suspension or a termination within KEY_CACHE_SECONDS.
KEY_CACHE_SECONDS = 5.0
KEY_CACHE_SIZE = 10_000
_key_cache: dict[str, tuple[float, Resource | None]] = {}
_key_cache_lock = threading.Lock()


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
    resource = cached_resource_for_key(key)
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


def cached_resource_for_key(key: str) -> Resource | None:
    seconds = getattr(settings, "GUARDSITE_KEY_CACHE_SECONDS", KEY_CACHE_SECONDS)
    key_hash = hash_key(key)
    now = time.monotonic()
    with _key_cache_lock:
        cached = _key_cache.get(key_hash)
    if cached is not None and cached[0] > now:
        return cached[1]
    resource = resource_for_key(key)
    if seconds > 0:
        with _key_cache_lock:
            if len(_key_cache) >= KEY_CACHE_SIZE:
                _key_cache.clear()  # unknown keys must not grow the cache without bound
            _key_cache[key_hash] = (now + seconds, resource)
    return resource


def clear_key_cache(**_: object) -> None:
    with _key_cache_lock:
        _key_cache.clear()


for _model in (ApiKey, Resource):
    post_save.connect(
        clear_key_cache, sender=_model, dispatch_uid=f"runtime-keys-{_model.__name__}"
    )
    post_delete.connect(
        clear_key_cache, sender=_model, dispatch_uid=f"runtime-keys-delete-{_model.__name__}"
    )
