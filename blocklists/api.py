"""REST endpoints for blocklists and their items.

Any member reads the resource's lists and the built-in ones; owners and filter editors change
them. Every change goes through blocklists.actions (all or nothing, with the per-resource limit).
"""

import csv
import io
from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from guardsite.access import require_edit_config
from guardsite.api import CursorPagination
from guardsite.api_views import RESOURCE_ID, ResourceScopedMixin
from guardsite.models import Resource
from guardsite.serializers import error_responses

from . import actions
from .actions import ItemInput
from .models import Blocklist, BlocklistItem
from .serializers import (
    BlocklistItemSerializer,
    BlocklistSerializer,
    BlocklistUpdateSerializer,
    BulkAddResultSerializer,
    BulkAddSerializer,
    BulkDeleteResultSerializer,
    BulkDeleteSerializer,
    BulkPreviewResultSerializer,
    BulkPreviewSerializer,
)

BLOCKLIST_ID = OpenApiParameter("blocklist_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def visible_blocklists(resource: Resource) -> QuerySet[Blocklist]:
    """The resource's own lists and the built-in ones, which every filter may use."""
    return Blocklist.objects.filter(Q(resource=resource) | Q(resource__isnull=True))


def blocklist_csv(blocklist: Blocklist) -> str:
    """The list as CSV in the shape bulk import reads back: text,isRegex,description."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "isRegex", "description"])
    for item in blocklist.items.order_by("created_at", "id").iterator():
        writer.writerow([item.text, "true" if item.is_regex else "false", item.description])
    return out.getvalue()


@extend_schema_view(
    list=extend_schema(summary="List blocklists (the resource's own and the built-in ones)"),
    retrieve=extend_schema(summary="Show a blocklist"),
    create=extend_schema(
        summary="Create a blocklist",
        responses={201: BlocklistSerializer, **error_responses(400, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change a blocklist's description",
        request=BlocklistUpdateSerializer,
        responses={200: BlocklistSerializer, **error_responses(400, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a blocklist no filter uses",
        responses={204: None, **error_responses(403, 404, 409)},
    ),
)
@extend_schema(tags=["blocklists"], parameters=[RESOURCE_ID])
class BlocklistViewSet(ResourceScopedMixin, viewsets.ModelViewSet):
    serializer_class = BlocklistSerializer
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    write_check = staticmethod(require_edit_config)
    filterset_fields = ["name", "is_builtin"]
    search_fields = ["name", "description"]

    def get_queryset(self) -> QuerySet[Blocklist]:
        if self.is_schema_view():
            return Blocklist.objects.none()
        return visible_blocklists(self.resource).annotate(item_count=Count("items"))

    def _shown(self, blocklist: Blocklist) -> dict[str, Any]:
        return dict(BlocklistSerializer(self.get_queryset().get(pk=blocklist.pk)).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = BlocklistSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        blocklist = actions.create_blocklist(
            self.resource,
            name=serializer.validated_data["name"],
            description=serializer.validated_data.get("description", ""),
            acting_user=request.user,
        )
        return Response(self._shown(blocklist), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        blocklist = self.get_object()
        serializer = BlocklistUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        description = serializer.validated_data.get("description", blocklist.description)
        actions.update_blocklist(blocklist, description=description, acting_user=request.user)
        return Response(self._shown(blocklist))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actions.delete_blocklist(self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Export the items as CSV (text,isRegex,description)",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
            **error_responses(404),
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        blocklist = self.get_object()
        response = HttpResponse(blocklist_csv(blocklist), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{blocklist.name}.csv"'
        return response


class ItemPagination(CursorPagination):
    ordering = "created_at"


@extend_schema_view(
    list=extend_schema(summary="List a blocklist's items (search with ?search=)"),
    retrieve=extend_schema(summary="Show an item"),
    create=extend_schema(
        summary="Add an item",
        responses={201: BlocklistItemSerializer, **error_responses(400, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change an item",
        responses={200: BlocklistItemSerializer, **error_responses(400, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Remove an item", responses={204: None, **error_responses(403, 404)}
    ),
)
@extend_schema(tags=["blocklists"], parameters=[RESOURCE_ID, BLOCKLIST_ID])
class BlocklistItemViewSet(ResourceScopedMixin, viewsets.ModelViewSet):
    serializer_class = BlocklistItemSerializer
    pagination_class = ItemPagination
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    write_check = staticmethod(require_edit_config)
    filterset_fields = ["is_regex"]
    search_fields = ["text", "description"]
    blocklist: Blocklist

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.blocklist = get_object_or_404(
            visible_blocklists(self.resource), pk=kwargs["blocklist_id"]
        )

    def get_queryset(self) -> QuerySet[BlocklistItem]:
        if self.is_schema_view():
            return BlocklistItem.objects.none()
        return self.blocklist.items.all()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = BlocklistItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        [item] = actions.add_items(
            self.blocklist, [ItemInput(**serializer.validated_data)], acting_user=request.user
        )
        return Response(BlocklistItemSerializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = BlocklistItemSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changed = {
            "text": item.text,
            "is_regex": item.is_regex,
            "description": item.description,
            **serializer.validated_data,
        }
        [item] = actions.add_items(
            self.blocklist, [ItemInput(**changed, id=item.pk)], acting_user=request.user
        )
        return Response(BlocklistItemSerializer(item).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actions.remove_items(self.blocklist, [self.get_object().pk], acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add or update many items, all or nothing",
        description="Errors name the item by its position, e.g. `items[3]`. An item whose text "
        "is already on the list updates its description.",
        request=BulkAddSerializer,
        responses={200: BulkAddResultSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=False, methods=["post"], url_path="bulk-add")
    def bulk_add(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = BulkAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = [ItemInput(**item) for item in serializer.validated_data["items"]]
        stored = actions.add_items(self.blocklist, items, acting_user=request.user)
        body = {"count": len(stored), "items": BlocklistItemSerializer(stored, many=True).data}
        return Response(body)

    @extend_schema(
        summary="Remove many items, all or nothing",
        request=BulkDeleteSerializer,
        responses={200: BulkDeleteResultSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=False, methods=["post"], url_path="bulk-delete")
    def bulk_delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = BulkDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            removed = actions.remove_items(
                self.blocklist, serializer.validated_data["item_ids"], acting_user=request.user
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "blocklistItemIds" in exc.error_dict:
                # Name the field as this endpoint calls it.
                raise ValidationError({"item_ids": exc.error_dict["blocklistItemIds"]}) from exc
            raise
        return Response({"removed": removed})

    @extend_schema(
        summary="Preview a bulk import; saves nothing",
        description="Send `text` (JSON or form) or upload `file` (multipart): one item per line, "
        "or CSV with the header text,isRegex,description. Every line comes back with the "
        "reason it cannot be stored, if any. Add the good ones with bulk-add.",
        request={
            "application/json": BulkPreviewSerializer,
            "multipart/form-data": BulkPreviewSerializer,
        },
        responses={200: BulkPreviewResultSerializer, **error_responses(400, 403, 404)},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk-preview",
        parser_classes=[JSONParser, MultiPartParser, FormParser],
    )
    def bulk_preview(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = BulkPreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fmt = serializer.validated_data["format"]
        lines = actions.parse_bulk(
            serializer.validated_data["text"],
            csv_format=None if fmt == "auto" else fmt == "csv",
        )
        invalid = sum(1 for line in lines if line.error)
        body = {
            "valid": len(lines) - invalid,
            "invalid": invalid,
            "lines": [asdict(line) for line in lines],
        }
        return Response(body)
