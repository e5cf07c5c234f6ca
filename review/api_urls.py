"""The review REST API, mounted at /api/v1/review/ (see review/api.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import (
    AbuseCaseViewSet,
    AccessRequestViewSet,
    AppealViewSet,
    AuditLogViewSet,
    DashboardView,
    EnforcementActionViewSet,
    FlaggedItemViewSet,
)

router = SimpleRouter(use_regex_path=False)
router.register("items", FlaggedItemViewSet, basename="review-item")
router.register("cases", AbuseCaseViewSet, basename="review-case")
router.register("access-requests", AccessRequestViewSet, basename="review-access-request")
router.register("audit-log", AuditLogViewSet, basename="review-audit-log")
router.register("actions", EnforcementActionViewSet, basename="review-action")
router.register("appeals", AppealViewSet, basename="review-appeal")

urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="review-dashboard"),
    *router.urls,
]
