"""The management REST API, under /api/v1/. Everything of a resource nests under it."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from blocklists.api import BlocklistItemViewSet, BlocklistViewSet
from deployments.api import DeploymentViewSet
from filters.api import (
    FilterVersionViewSet,
    FilterViewSet,
    GlobalProtectedWorkViewSet,
    ProtectedWorkViewSet,
)

from .api_views import ActivityViewSet, MemberViewSet, ObtainTokenView, ResourceViewSet

RESOURCE = "resources/<uuid:resource_id>"

# Path converters (not regexes) so a malformed id never reaches a view: it is a 404.
router = SimpleRouter(use_regex_path=False)
router.register("resources", ResourceViewSet, basename="resource")
router.register(f"{RESOURCE}/members", MemberViewSet, basename="member")
router.register(f"{RESOURCE}/activity", ActivityViewSet, basename="activity")
router.register(f"{RESOURCE}/filters", FilterViewSet, basename="filter")
router.register(
    f"{RESOURCE}/filters/<uuid:filter_id>/versions",
    FilterVersionViewSet,
    basename="filter-version",
)
router.register(f"{RESOURCE}/protected-works", ProtectedWorkViewSet, basename="protected-work")
router.register("protected-works", GlobalProtectedWorkViewSet, basename="global-protected-work")
router.register(f"{RESOURCE}/blocklists", BlocklistViewSet, basename="blocklist")
router.register(
    f"{RESOURCE}/blocklists/<uuid:blocklist_id>/items",
    BlocklistItemViewSet,
    basename="blocklist-item",
)
router.register(f"{RESOURCE}/deployments", DeploymentViewSet, basename="deployment")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    *router.urls,
]
