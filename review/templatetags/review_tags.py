"""Navigation helpers for the review pages: which review links a user gets, and countdowns."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from guardsite.access import is_staff, role_of
from guardsite.models import Membership

register = template.Library()

Role = Membership.Role
REVIEW_ROLES = (Role.REVIEWER, Role.REVIEW_MANAGER)


@register.filter
def reviews_anywhere(user: Any) -> bool:
    """The top bar's "Review" link: a reviewer or review manager of some resource, or staff."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_staff(user) or Membership.objects.filter(user=user, role__in=REVIEW_ROLES).exists()


@register.simple_tag(takes_context=True)
def review_links(context: Any, resource: Any) -> dict[str, bool]:
    """Which review links the resource navigation shows to the signed-in user."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None:
        return {"review": False, "notices": False}
    role = role_of(user, resource)
    staff = is_staff(user)
    return {
        "review": staff or role in REVIEW_ROLES,
        "notices": staff or role in (Role.OWNER, Role.REVIEW_MANAGER),
    }


@register.filter
def minutes_left(moment: datetime | None) -> int:
    """Whole minutes until a moment (0 once it passed), for grant countdowns."""
    if moment is None:
        return 0
    return max(0, int((moment - timezone.now()).total_seconds() // 60))


@register.filter
def age_bucket(created_at: datetime) -> str:
    """The queue-health ageing bucket of an item, as a CSS class."""
    hours = (timezone.now() - created_at).total_seconds() / 3600
    if hours < 1:
        return "age-fresh"
    if hours < 4:
        return "age-hours"
    if hours < 24:
        return "age-day"
    return "age-old"
