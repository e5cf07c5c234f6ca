"""Runtime API keys: two per resource, rotated independently, stored as SHA-256 hashes.

The keys are 256-bit random tokens, so a plain (unsalted) SHA-256 is enough to make a stolen
table useless, and it lets a request find its key with one indexed lookup.
"""

import hashlib
import secrets
from typing import Any

from django.db import transaction

from .activity import record_activity
from .models import ApiKey, Resource

KEY_BYTES = 32


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def regenerate_key(resource: Resource, slot: int, *, acting_user: Any) -> str:
    """A new key in the slot (1 or 2); the old key in that slot stops working at once."""
    if slot not in ApiKey.Slot.values:
        raise ValueError("slot must be 1 or 2")
    key = secrets.token_hex(KEY_BYTES)
    with transaction.atomic():
        ApiKey.objects.update_or_create(
            resource=resource,
            slot=slot,
            defaults={"key_hash": hash_key(key), "prefix": key[:8]},
        )
        record_activity(
            resource=resource,
            actor=acting_user,
            action="api_key.regenerated",
            target=resource,
            after={"slot": f"key{slot}", "prefix": key[:8]},
        )
    return key


def issue_keys(resource: Resource, *, acting_user: Any) -> tuple[str, str]:
    return (
        regenerate_key(resource, 1, acting_user=acting_user),
        regenerate_key(resource, 2, acting_user=acting_user),
    )


def resource_for_key(key: str) -> Resource | None:
    if not key or len(key) > 256:
        return None
    found = ApiKey.objects.select_related("resource").filter(key_hash=hash_key(key)).first()
    return found.resource if found else None
