"""REST endpoints for tokens, resources, memberships and activity, and the tenancy mixin.

Every view under /resources/{resource_id}/ resolves the resource through guardsite.access before
anything else: a non-member gets 404 for the resource and everything in it, a member whose role is
too weak gets 403, before the body is read. Every change is made by an action function.
"""

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django_filters import rest_framework as django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import actions
from .access import (
    get_resource_for_user,
    require_admin_resource,
    require_view,
    visible_resources,
)
from .models import ActivityEntry, Membership, Resource
from .serializers import (
    ActivityEntrySerializer,
    MemberRoleSerializer,
    MemberSerializer,
    ResourceCreateSerializer,
    ResourceSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    error_responses,
)

RESOURCE_ID = OpenApiParameter("resource_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class ResourceScopedMixin:
    """For viewsets routed under resources/<uuid:resource_id>/.

    read_check guards GET, write_check every other method; override either per view, or
    check_for_action for an action whose method says nothing (a POST that saves nothing).
    """

    read_check = staticmethod(require_view)
    write_check = staticmethod(require_admin_resource)
    resource: Resource
    kwargs: dict[str, Any]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self.resource = get_resource_for_user(request.user, kwargs["resource_id"])
        if getattr(self, "action", None) is None:
            return  # the method is not allowed here: let DRF answer 405
        self.check_for_action(request)

    def check_for_action(self, request: Request) -> None:
        safe = request.method in permissions.SAFE_METHODS
        (self.read_check if safe else self.write_check)(request.user, self.resource)

    def is_schema_view(self) -> bool:
        return bool(getattr(self, "swagger_fake_view", False))


@extend_schema(
    tags=["auth"],
    summary="Get your API token",
    description="Exchange a username and password for the user's API token (created on first "
    "use). Send it on every other call as `Authorization: Token <token>`.",
    request=TokenRequestSerializer,
    responses={200: TokenSerializer, **error_responses(400)},
    auth=[],
)
class ObtainTokenView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            from rest_framework.exceptions import ValidationError

            raise ValidationError("Unable to log in with that username and password.")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


@extend_schema_view(
    list=extend_schema(summary="List the resources you belong to (staff: all)"),
    retrieve=extend_schema(summary="Show a resource", responses={200: ResourceSerializer}),
    create=extend_schema(
        summary="Create a resource; you become its owner",
        request=ResourceCreateSerializer,
        responses={201: ResourceSerializer, **error_responses(400)},
    ),
    partial_update=extend_schema(
        summary="Change a resource (owners); approvals and status (staff)",
        responses={200: ResourceSerializer, **error_responses(400, 403, 404)},
    ),
)
@extend_schema(tags=["resources"])
class ResourceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ResourceSerializer
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["name", "status"]
    search_fields = ["name"]

    def get_queryset(self) -> QuerySet[Resource]:
        return visible_resources(self.request.user)

    def get_serializer_class(self) -> type[ResourceSerializer] | type[ResourceCreateSerializer]:
        return ResourceCreateSerializer if self.action == "create" else ResourceSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ResourceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        resource = actions.create_resource(**serializer.validated_data, acting_user=request.user)
        data = ResourceSerializer(resource, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        resource = self.get_object()
        require_admin_resource(request.user, resource)
        serializer = ResourceSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        resource = actions.update_resource(
            resource, dict(serializer.validated_data), acting_user=request.user
        )
        return Response(ResourceSerializer(resource, context=self.get_serializer_context()).data)


class MemberFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(field_name="user__username")

    class Meta:
        model = Membership
        fields = ["role", "username"]


@extend_schema_view(
    list=extend_schema(summary="List a resource's members"),
    retrieve=extend_schema(summary="Show a membership"),
    create=extend_schema(
        summary="Add a member (owners)",
        responses={201: MemberSerializer, **error_responses(400, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change a member's role (owners)",
        request=MemberRoleSerializer,
        responses={200: MemberSerializer, **error_responses(400, 403, 404, 409)},
    ),
    destroy=extend_schema(
        summary="Remove a member (owners); the last owner stays",
        responses={204: None, **error_responses(403, 404, 409)},
    ),
)
@extend_schema(tags=["members"], parameters=[RESOURCE_ID])
class MemberViewSet(ResourceScopedMixin, viewsets.ModelViewSet):
    serializer_class = MemberSerializer
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_class = MemberFilter
    search_fields = ["user__username"]

    def get_queryset(self) -> QuerySet[Membership]:
        if self.is_schema_view():
            return Membership.objects.none()
        return Membership.objects.filter(resource=self.resource).select_related("user")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = MemberSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = actions.add_member(
            self.resource,
            username=serializer.validated_data["user"]["username"],
            role=serializer.validated_data["role"],
            acting_user=request.user,
        )
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        membership = self.get_object()
        serializer = MemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = actions.change_member_role(
            membership, role=serializer.validated_data["role"], acting_user=request.user
        )
        return Response(MemberSerializer(membership).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actions.remove_member(self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List a resource's configuration changes, newest first"),
    retrieve=extend_schema(summary="Show one change"),
)
@extend_schema(tags=["activity"], parameters=[RESOURCE_ID])
class ActivityViewSet(ResourceScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ActivityEntrySerializer
    lookup_value_converter = "int"
    filterset_fields = ["action", "target_type", "target_id"]

    def get_queryset(self) -> QuerySet[ActivityEntry]:
        if self.is_schema_view():
            return ActivityEntry.objects.none()
        return ActivityEntry.objects.filter(resource=self.resource).select_related("actor")
