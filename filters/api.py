"""REST endpoints for content filters, their versions, RAI-policy import and export, and the
protected-material registry.

Readers (any member) see the resource's filters and the built-in default; owners and filter
editors change them. Every change goes through filters.actions, which writes a version.

Protected works: any member reads the resource's works (the content too); owners and filter
editors add and delete them. Global works apply to every resource: any signed-in user may read
their titles and metadata, only staff add or delete them, and their content is not served.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Length
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from guardsite.access import is_staff, require_edit_config
from guardsite.api import CursorPagination
from guardsite.api_views import RESOURCE_ID, ResourceScopedMixin
from guardsite.models import Resource
from guardsite.serializers import error_responses, refuse_unstorable_text

from . import actions
from .actions import Attachment, FilterData
from .config import RAI_MODES, export_rai_policy, parse_rai_policy
from .models import DIRECTIONS, ContentFilter, ContentFilterVersion, ProtectedWork
from .protected import add_protected_work, add_protected_works, delete_protected_work
from .serializers import (
    ContentFilterSerializer,
    FilterVersionDetailSerializer,
    FilterVersionSerializer,
    ProtectedWorkBulkResultSerializer,
    ProtectedWorkBulkSerializer,
    ProtectedWorkDetailSerializer,
    ProtectedWorkSerializer,
    RaiPolicySerializer,
    settings_from_validated,
    work_input,
)

FILTER_ID = OpenApiParameter("filter_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def visible_filters(resource: Resource) -> QuerySet[ContentFilter]:
    """The resource's own filters and the built-in default, which every member may read."""
    return ContentFilter.objects.filter(Q(resource=resource) | Q(resource__isnull=True))


def _attachments(resource: Resource, side: dict[str, Any], direction: str) -> list[Attachment]:
    wanted = [
        (str(item["id"]), direction, item.get("blocking", True)) for item in side["blocklists"]
    ]
    try:
        return actions.resolve_blocklists(resource, wanted, by="pk")
    except ValidationError as exc:
        # Another tenant's list answers exactly like a list that does not exist.
        raise NotFound(exc.messages[0]) from exc


def _filter_data(
    resource: Resource, validated: dict[str, Any], current: ContentFilter | None = None
) -> FilterData:
    """The validated body laid over the filter's current data (or the defaults)."""
    if current is None:
        data = FilterData(name=validated["name"])
    else:
        data = actions.filter_data_from_instance(current)
    data.name = validated.get("name", data.name)
    data.description = validated.get("description", data.description)
    data.settings.update(settings_from_validated(validated))
    for direction in DIRECTIONS:
        side = validated.get(direction, {})
        if "blocklists" in side:
            kept = [item for item in data.attachments if item.direction != direction]
            data.attachments = kept + _attachments(resource, side, direction)
    return data


@extend_schema_view(
    list=extend_schema(summary="List filters (the resource's own and the built-in default)"),
    retrieve=extend_schema(summary="Show a filter"),
    create=extend_schema(
        summary="Create a filter (version 1)",
        responses={201: ContentFilterSerializer, **error_responses(400, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change a filter (a new version)",
        description="Omitted settings keep their values; a side's `blocklists`, when given, "
        "replaces that side's attachments. 'annotate' and 'off' and asynchronous streaming need "
        "the resource's modified content filters approval.",
        responses={200: ContentFilterSerializer, **error_responses(400, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a filter no deployment uses",
        responses={204: None, **error_responses(403, 404, 409)},
    ),
)
@extend_schema(tags=["filters"], parameters=[RESOURCE_ID])
class FilterViewSet(ResourceScopedMixin, viewsets.ModelViewSet):
    serializer_class = ContentFilterSerializer
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    write_check = staticmethod(require_edit_config)
    filterset_fields = ["name", "is_builtin"]
    search_fields = ["name", "description"]

    def get_queryset(self) -> QuerySet[ContentFilter]:
        if self.is_schema_view():
            return ContentFilter.objects.none()
        return visible_filters(self.resource)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ContentFilterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = _filter_data(self.resource, serializer.validated_data)
        content_filter = actions.create_filter(self.resource, data, acting_user=request.user)
        return Response(
            ContentFilterSerializer(content_filter).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        content_filter = self.get_object()
        serializer = ContentFilterSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = _filter_data(self.resource, serializer.validated_data, content_filter)
        content_filter = actions.update_filter(content_filter, data, acting_user=request.user)
        return Response(ContentFilterSerializer(content_filter).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actions.delete_filter(self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Export as an RAI policy",
        responses={200: RaiPolicySerializer, **error_responses(404)},
    )
    @action(detail=True, methods=["get"], url_path="rai-policy")
    def export(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(export_rai_policy(self.get_object()))

    @extend_schema(
        summary="Create a filter from an RAI policy",
        description="The body is the cloud's RAI policy (`name` and `properties`, or the "
        "properties at the top level with a `name`). Blocklists are matched by name. Anything "
        "not understood is refused, all at once.",
        request=RaiPolicySerializer,
        responses={201: ContentFilterSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[JSONParser])
    def import_policy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy = request.data
        refuse_unstorable_text(policy)
        name = policy.get("name") if isinstance(policy, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ValidationError({"name": "The policy needs a name for the new filter."})
        body = policy.get("properties", policy)
        if isinstance(body, dict) and not isinstance(body.get("mode", ""), str):
            # parse_rai_policy looks the mode up in a dict: an object there is unhashable.
            where = "properties.mode" if "properties" in policy else "mode"
            raise ValidationError({where: f"mode must be one of {', '.join(RAI_MODES.values())}."})
        values, wanted = parse_rai_policy(policy)
        attachments = actions.resolve_blocklists(self.resource, wanted, by="name")
        data = FilterData(name=name, settings=values, attachments=attachments)
        content_filter = actions.create_filter(self.resource, data, acting_user=request.user)
        return Response(
            ContentFilterSerializer(content_filter).data, status=status.HTTP_201_CREATED
        )


class VersionPagination(CursorPagination):
    ordering = "-number"


@extend_schema_view(
    list=extend_schema(summary="List a filter's versions, newest first"),
    retrieve=extend_schema(
        summary="Show a version with what it changed against the previous one",
        responses={200: FilterVersionDetailSerializer, **error_responses(404)},
    ),
)
@extend_schema(
    tags=["filters"],
    parameters=[
        RESOURCE_ID,
        FILTER_ID,
        OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH),
    ],
)
class FilterVersionViewSet(ResourceScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = FilterVersionSerializer
    pagination_class = VersionPagination
    lookup_field = "number"
    lookup_value_converter = "int"
    write_check = staticmethod(require_edit_config)
    filter_backends: list = []
    content_filter: ContentFilter

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.content_filter = get_object_or_404(
            visible_filters(self.resource), pk=kwargs["filter_id"]
        )

    def get_queryset(self) -> QuerySet[ContentFilterVersion]:
        if self.is_schema_view():
            return ContentFilterVersion.objects.none()
        return self.content_filter.versions.select_related("created_by")

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return FilterVersionSerializer
        return FilterVersionDetailSerializer

    @extend_schema(
        summary="Restore this version (as a new version)",
        request=None,
        responses={200: ContentFilterSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = self.get_object()
        content_filter = actions.restore_filter_version(
            self.content_filter, version.number, acting_user=request.user
        )
        return Response(ContentFilterSerializer(content_filter).data)


# --- The protected-material registry ----------------------------------------------------------


class ProtectedWorkViewSetBase(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """List, show, add (one or many) and delete the works of one registry: a resource's or the
    global one, as works() and registry() say."""

    serializer_class = ProtectedWorkSerializer
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "delete", "head", "options"]
    filterset_fields = ["kind"]
    search_fields = ["title"]
    # Whether retrieve answers with the content.
    shows_content = True

    def registry(self) -> Resource | None:
        raise NotImplementedError

    def works(self) -> QuerySet[ProtectedWork]:
        return ProtectedWork.objects.filter(resource=self.registry())

    def get_queryset(self) -> QuerySet[ProtectedWork]:
        if getattr(self, "swagger_fake_view", False):
            return ProtectedWork.objects.none()
        works = self.works().select_related("created_by")
        if self.action != "retrieve" or not self.shows_content:
            # Contents run to 200,000 characters: lists carry their length only.
            works = works.defer("content").annotate(content_length=Length("content"))
        return works

    def get_serializer_class(self) -> Any:
        if self.action in ("retrieve", "create") and self.shows_content:
            return ProtectedWorkDetailSerializer
        return ProtectedWorkSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ProtectedWorkDetailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        work = add_protected_work(
            self.registry(), work_input(serializer.validated_data), acting_user=request.user
        )
        return Response(self.get_serializer_class()(work).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        delete_protected_work(self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add several works, all or nothing",
        description="Errors name the work by its position, e.g. `works[3]` or `works[3].title`; "
        "when any work is refused, none is added.",
        request=ProtectedWorkBulkSerializer,
        responses={200: ProtectedWorkBulkResultSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=False, methods=["post"], url_path="bulk", parser_classes=[JSONParser])
    def bulk(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ProtectedWorkBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        works = [work_input(item) for item in serializer.validated_data["works"]]
        added = add_protected_works(self.registry(), works, acting_user=request.user)
        body = {"count": len(added), "works": ProtectedWorkSerializer(added, many=True).data}
        return Response(body)


@extend_schema_view(
    list=extend_schema(summary="List the resource's protected works (search with ?search=)"),
    retrieve=extend_schema(
        summary="Show a protected work with its content",
        responses={200: ProtectedWorkDetailSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Register a protected work",
        description="A work too short to fingerprint is refused with the reason.",
        responses={201: ProtectedWorkDetailSerializer, **error_responses(400, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a protected work", responses={204: None, **error_responses(403, 404)}
    ),
)
@extend_schema(tags=["protected material"], parameters=[RESOURCE_ID])
class ProtectedWorkViewSet(ResourceScopedMixin, ProtectedWorkViewSetBase):
    """Works checked for in this resource's completions, besides the global ones. Any member
    reads them; owners and filter editors add and delete them."""

    write_check = staticmethod(require_edit_config)

    def registry(self) -> Resource | None:
        return self.resource


class StaffWritesOnly(permissions.BasePermission):
    message = "Only staff can change the global protected works."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return is_staff(request.user)


@extend_schema_view(
    list=extend_schema(summary="List the global protected works (metadata only)"),
    retrieve=extend_schema(
        summary="Show a global protected work (metadata only)",
        responses={200: ProtectedWorkSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Register a global protected work (staff)",
        responses={201: ProtectedWorkSerializer, **error_responses(400, 403)},
    ),
    destroy=extend_schema(
        summary="Delete a global protected work (staff)",
        responses={204: None, **error_responses(403, 404)},
    ),
)
@extend_schema(tags=["protected material"])
class GlobalProtectedWorkViewSet(ProtectedWorkViewSetBase):
    """Works that apply to every resource. Their content is never served here: every tenant can
    list them, and the operator may have registered text it does not want to redistribute."""

    permission_classes = [StaffWritesOnly]
    shows_content = False

    def registry(self) -> Resource | None:
        return None
