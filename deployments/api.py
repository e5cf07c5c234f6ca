"""REST endpoints for deployments and the filter each one uses.

Any member reads them; owners and filter editors change them through deployments.actions.
Replacing a deployment's filter needs confirm_replace, else 409 naming the current filter.
"""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django_filters import rest_framework as django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from filters.api import visible_filters
from filters.models import ContentFilter
from guardsite.access import require_edit_config
from guardsite.api_views import RESOURCE_ID, ResourceScopedMixin
from guardsite.models import Resource
from guardsite.serializers import error_responses

from . import actions
from .actions import EDITABLE_FIELDS, DeploymentData
from .models import Deployment
from .serializers import AssignFilterSerializer, DeploymentSerializer, DeploymentUpdateSerializer


def _content_filter(resource: Resource, filter_id: UUID | None) -> ContentFilter | None:
    """The resource's filter (or the built-in) with that id; another tenant's is not found."""
    if filter_id is None:
        return None
    content_filter = visible_filters(resource).filter(pk=filter_id).first()
    if content_filter is None:
        raise NotFound(f"No such content filter: {filter_id}.")
    return content_filter


class DeploymentFilter(django_filters.FilterSet):
    # A UUID, not a choice among all filters, so another tenant's filter id reveals nothing.
    content_filter = django_filters.UUIDFilter(field_name="content_filter")
    uses_default = django_filters.BooleanFilter(
        field_name="content_filter", lookup_expr="isnull", label="Uses the built-in default"
    )

    class Meta:
        model = Deployment
        fields = ["name", "model_name", "content_filter", "uses_default"]


@extend_schema_view(
    list=extend_schema(summary="List deployments"),
    retrieve=extend_schema(summary="Show a deployment"),
    create=extend_schema(
        summary="Create a deployment",
        responses={201: DeploymentSerializer, **error_responses(400, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change a deployment (its filter: assign-filter)",
        request=DeploymentUpdateSerializer,
        responses={200: DeploymentSerializer, **error_responses(400, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a deployment", responses={204: None, **error_responses(403, 404)}
    ),
)
@extend_schema(tags=["deployments"], parameters=[RESOURCE_ID])
class DeploymentViewSet(ResourceScopedMixin, viewsets.ModelViewSet):
    serializer_class = DeploymentSerializer
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    write_check = staticmethod(require_edit_config)
    filterset_class = DeploymentFilter
    search_fields = ["name", "model_name"]

    def get_queryset(self) -> QuerySet[Deployment]:
        if self.is_schema_view():
            return Deployment.objects.none()
        return self.resource.deployments.select_related("content_filter")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DeploymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        content_filter = _content_filter(self.resource, values.pop("content_filter_id", None))
        deployment = actions.create_deployment(
            self.resource,
            DeploymentData(**values),
            acting_user=request.user,
            content_filter=content_filter,
        )
        return Response(DeploymentSerializer(deployment).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        deployment = self.get_object()
        serializer = DeploymentUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        current = {field: getattr(deployment, field) for field in EDITABLE_FIELDS}
        data = DeploymentData(**{**current, **serializer.validated_data})
        deployment = actions.update_deployment(deployment, data, acting_user=request.user)
        return Response(DeploymentSerializer(deployment).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actions.delete_deployment(self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Assign a filter",
        description="Replacing the filter a deployment already has needs `confirm_replace`; "
        "without it the answer is 409 naming the current filter.",
        request=AssignFilterSerializer,
        responses={200: DeploymentSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="assign-filter")
    def assign_filter(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        deployment = self.get_object()
        serializer = AssignFilterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        content_filter = _content_filter(self.resource, serializer.validated_data["content_filter"])
        deployment = actions.assign_filter(
            deployment,
            content_filter,
            acting_user=request.user,
            confirm_replace=serializer.validated_data["confirm_replace"],
        )
        return Response(DeploymentSerializer(deployment).data)
