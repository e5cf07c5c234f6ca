"""The review REST API under /api/v1/review/: items and the human queue, cases, access requests
and grants, the audit log, enforcement actions and appeals, and dashboard data.

Views resolve objects through the visibility helpers of review.services (404 for what the user
may not see), decide through the action functions (403 for a role too weak, 409 when a claim or
transition lost a race) and return metadata only; content comes from ``items/{id}/content/``,
which goes through review.access.content_for.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardsite.access import get_resource_for_user, is_staff, role_of
from guardsite.api import CursorPagination
from guardsite.models import Membership, Resource
from guardsite.serializers import error_responses

from . import access, actions, services
from .access import CONFLICT_CODES, client_ip
from .flagging import reflag_item
from .models import AbuseCase, AccessRequest, Appeal, AuditLogEntry, EnforcementAction, FlaggedItem
from .serializers import (
    AbuseCaseSerializer,
    AccessRequestCreateSerializer,
    AccessRequestSerializer,
    AppealDecisionSerializer,
    AppealSerializer,
    ApproveSerializer,
    AuditLogEntrySerializer,
    BreakGlassSerializer,
    BulkDecisionSerializer,
    BulkResultSerializer,
    ClaimNextSerializer,
    CorrectionSerializer,
    DecisionSerializer,
    DismissSerializer,
    EnforcementActionSerializer,
    ExtendSerializer,
    FlaggedItemSerializer,
    ItemContentSerializer,
    ItemHistorySerializer,
    NoteSerializer,
    NotesSerializer,
    OwnerReplySerializer,
    ReasonSerializer,
    RequiredReasonSerializer,
    SanctionSerializer,
    TextSerializer,
)

RESOURCE_QUERY = OpenApiParameter("resource", OpenApiTypes.UUID, OpenApiParameter.QUERY)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The item changed meanwhile."
    default_code = "conflict"


class ReviewAPIMixin:
    """Conflicts of the review actions (a lost claim, an already decided request) answer 409."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError) and getattr(exc, "code", None) in CONFLICT_CODES:
            exc = Conflict(exc.messages[0])
        return super().handle_exception(exc)  # type: ignore[misc]

    def is_schema_view(self) -> bool:
        return bool(getattr(self, "swagger_fake_view", False))


def _query_filter(request: Request, field: str) -> str | None:
    """A filter from the query string; a NUL character cannot be stored, so none can match it."""
    value = request.query_params.get(field)
    if value and "\x00" in value:
        raise exceptions.ValidationError({field: ["Null characters are not allowed."]})
    return value or None


def _resource_param(request: Request, required: bool = False) -> Resource | None:
    value = request.query_params.get("resource") or (
        request.data.get("resource") if isinstance(request.data, dict) else None
    )
    if not value:
        if required:
            raise exceptions.ValidationError({"resource": ["This field is required."]})
        return None
    return get_resource_for_user(request.user, value)


class QueuePagination(CursorPagination):
    # The queue's order; the partial index human_queue serves it.
    ordering = ("-priority", "-severity", "created_at", "id")  # type: ignore[assignment]


@extend_schema_view(
    list=extend_schema(
        summary="List flagged items (metadata only)",
        parameters=[
            RESOURCE_QUERY,
            OpenApiParameter("status", str),
            OpenApiParameter("stage", str),
            OpenApiParameter("case", OpenApiTypes.UUID),
            OpenApiParameter("category", str),
        ],
    ),
    retrieve=extend_schema(summary="Show a flagged item (metadata only)"),
)
@extend_schema(tags=["review"])
class FlaggedItemViewSet(ReviewAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = FlaggedItemSerializer
    lookup_value_converter = "uuid"

    def get_queryset(self) -> QuerySet[FlaggedItem]:
        if self.is_schema_view():
            return FlaggedItem.objects.none()
        items = services.visible_items(self.request.user).select_related("claimed_by", "decided_by")
        if self.request.query_params.get("resource"):
            items = items.filter(resource=_resource_param(self.request))
        for field in ("status", "stage", "case", "category"):
            if value := _query_filter(self.request, field):
                items = items.filter(**{field: value})
        return items

    def get_item(self) -> FlaggedItem:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _item_response(self, item: FlaggedItem) -> Response:
        return Response(FlaggedItemSerializer(item).data)

    @extend_schema(
        summary="The human review queue: priority (abuse score, severity), then oldest",
        parameters=[RESOURCE_QUERY],
        responses={200: FlaggedItemSerializer(many=True), **error_responses(403, 404)},
    )
    @action(detail=False, methods=["get"])
    def queue(self, request: Request) -> Response:
        resource = _resource_param(request)
        items = actions.human_queue(request.user, resource).select_related(
            "resource", "claimed_by", "decided_by"
        )
        paginator = QueuePagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(FlaggedItemSerializer(page, many=True).data)

    @extend_schema(
        summary="Claim the next item of the queue (204 when the queue is empty)",
        request=ClaimNextSerializer,
        responses={200: FlaggedItemSerializer, 204: None, **error_responses(403, 404)},
    )
    @action(detail=False, methods=["post"], url_path="claim-next")
    def claim_next(self, request: Request) -> Response:
        ClaimNextSerializer(data=request.data).is_valid(raise_exception=True)
        item = actions.claim_next_item(acting_user=request.user, resource=_resource_param(request))
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._item_response(item)

    @extend_schema(
        summary="Claim this item",
        request=None,
        responses={200: FlaggedItemSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: Any = None) -> Response:
        return self._item_response(actions.claim_item(self.get_item(), acting_user=request.user))

    @extend_schema(
        summary="Give the claim back (managers: anyone's)",
        request=None,
        responses={200: FlaggedItemSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: Any = None) -> Response:
        return self._item_response(actions.release_item(self.get_item(), acting_user=request.user))

    @extend_schema(
        summary="Confirm the classification (needs your claim)",
        request=DecisionSerializer,
        responses={200: FlaggedItemSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: Any = None) -> Response:
        data = self._valid(DecisionSerializer, request)
        item = actions.confirm_item(
            self.get_item(), acting_user=request.user, ip=client_ip(request), **data
        )
        return self._item_response(item)

    @extend_schema(
        summary="Correct the category or severity (needs your claim)",
        request=CorrectionSerializer,
        responses={200: FlaggedItemSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: Any = None) -> Response:
        data = self._valid(CorrectionSerializer, request)
        item = actions.correct_item(
            self.get_item(), acting_user=request.user, ip=client_ip(request), **data
        )
        return self._item_response(item)

    @extend_schema(
        summary="Dismiss as not abusive, with a reason (needs your claim)",
        request=DismissSerializer,
        responses={200: FlaggedItemSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: Any = None) -> Response:
        data = self._valid(DismissSerializer, request)
        item = actions.dismiss_item(
            self.get_item(), acting_user=request.user, ip=client_ip(request), **data
        )
        return self._item_response(item)

    @extend_schema(
        summary="Flag a reviewed item again: it reopens (review managers)",
        request=RequiredReasonSerializer,
        responses={200: FlaggedItemSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def reflag(self, request: Request, pk: Any = None) -> Response:
        data = self._valid(RequiredReasonSerializer, request)
        item = self.get_item()
        access.require_review_manager(request.user, item.resource)
        if not reflag_item(item, acting_user=request.user, reason=data["reason"]):
            raise Conflict("The item is still pending review.")
        item.refresh_from_db()
        return self._item_response(item)

    @extend_schema(
        summary="Read the content (needs an active grant; audited)",
        responses={200: ItemContentSerializer, **error_responses(403, 404)},
    )
    @action(detail=True, methods=["get"])
    def content(self, request: Request, pk: Any = None) -> Response:
        item = self.get_item()
        shown = access.content_for(request.user, item, request=request)
        response = Response(
            {
                "item": item.pk,
                "text": shown.text,
                "documents": shown.documents,
                "grant": shown.grant_id,
                "purged": shown.purged,
            }
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        methods=["GET"], summary="List notes", responses={200: NoteSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a note",
        request=NoteSerializer,
        responses={201: NoteSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"])
    def notes(self, request: Request, pk: Any = None) -> Response:
        item = self.get_item()
        if request.method == "GET":
            notes = item.notes.select_related("author")
            return Response(NoteSerializer(notes, many=True).data)
        data = self._valid(NoteSerializer, request)
        note = actions.add_note(item, text=data["text"], acting_user=request.user)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The item's history (append-only)",
        responses={200: ItemHistorySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: Any = None) -> Response:
        history = self.get_item().history.select_related("actor")
        return Response(ItemHistorySerializer(history, many=True).data)

    @extend_schema(
        summary="Confirm, correct, dismiss or release many items (review managers)",
        request=BulkDecisionSerializer,
        responses={200: BulkResultSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        data = self._valid(BulkDecisionSerializer, request)
        items = list(self.get_queryset().filter(pk__in=data.pop("items")))
        result = actions.bulk_decide(items, acting_user=request.user, ip=client_ip(request), **data)
        return Response(result)

    @extend_schema(
        summary="Labelled data (JSONL) of confirmed and corrected items; text only under a grant",
        parameters=[OpenApiParameter("resource", OpenApiTypes.UUID, required=True)],
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> StreamingHttpResponse:
        resource = _resource_param(request, required=True)
        assert resource is not None
        access.require_reviewer(request.user, resource)
        response = StreamingHttpResponse(
            services.labelled_jsonl(request.user, resource, request=request),
            content_type="application/x-ndjson",
        )
        response["Content-Disposition"] = f'attachment; filename="{resource.name}-labels.jsonl"'
        response["Cache-Control"] = "no-store"
        return response

    def _valid(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="List abuse cases", parameters=[RESOURCE_QUERY]),
    retrieve=extend_schema(summary="Show a case and the components of its score"),
)
@extend_schema(tags=["review"])
class AbuseCaseViewSet(ReviewAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AbuseCaseSerializer
    lookup_value_converter = "uuid"
    pagination_class = type("CasePagination", (CursorPagination,), {"ordering": "-opened_at"})

    def get_queryset(self) -> QuerySet[AbuseCase]:
        if self.is_schema_view():
            return AbuseCase.objects.none()
        cases = AbuseCase.objects.select_related("resource", "decided_by")
        if not is_staff(self.request.user):
            cases = cases.filter(resource__in=services.review_resources(self.request.user))
        if self.request.query_params.get("resource"):
            cases = cases.filter(resource=_resource_param(self.request))
        if value := _query_filter(self.request, "status"):
            cases = cases.filter(status=value)
        return cases

    @extend_schema(
        summary="Confirm the case: owners are notified and enforcement follows",
        request=ReasonSerializer,
        responses={200: AbuseCaseSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: Any = None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = actions.confirm_case(
            self.get_object(), acting_user=request.user, reason=data.validated_data["reason"]
        )
        return Response(AbuseCaseSerializer(case).data)

    @extend_schema(
        summary="Dismiss the case, with a reason",
        request=RequiredReasonSerializer,
        responses={200: AbuseCaseSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: Any = None) -> Response:
        data = RequiredReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = actions.dismiss_case(
            self.get_object(), acting_user=request.user, reason=data.validated_data["reason"]
        )
        return Response(AbuseCaseSerializer(case).data)


@extend_schema_view(
    list=extend_schema(
        summary="Your access requests and grants, and those you may decide",
        parameters=[RESOURCE_QUERY, OpenApiParameter("status", str)],
    ),
    retrieve=extend_schema(summary="Show an access request or grant"),
    create=extend_schema(
        summary="Request time-limited access to content",
        request=AccessRequestCreateSerializer,
        responses={201: AccessRequestSerializer, **error_responses(400, 403, 404)},
    ),
)
@extend_schema(tags=["review-access"])
class AccessRequestViewSet(
    ReviewAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AccessRequestSerializer
    lookup_value_converter = "uuid"

    def get_queryset(self) -> QuerySet[AccessRequest]:
        if self.is_schema_view():
            return AccessRequest.objects.none()
        user: Any = self.request.user
        requests = AccessRequest.objects.select_related("requester", "decided_by", "resource")
        if not is_staff(user):
            managed = Resource.objects.filter(
                memberships__user=user, memberships__role=Membership.Role.REVIEW_MANAGER
            )
            requests = requests.filter(Q(requester=user) | Q(resource__in=managed))
        if self.request.query_params.get("resource"):
            requests = requests.filter(resource=_resource_param(self.request))
        if value := _query_filter(self.request, "status"):
            requests = requests.filter(status=value)
        return requests

    def _case(self, resource: Resource, case_id: Any) -> AbuseCase | None:
        if not case_id:
            return None
        return get_object_or_404(AbuseCase, pk=case_id, resource=resource)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AccessRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        resource = get_resource_for_user(request.user, data["resource"])
        created = access.request_access(
            resource,
            scope=data["scope"],
            case=self._case(resource, data.get("case")),
            justification=data["justification"],
            duration_minutes=data["duration_minutes"],
            acting_user=request.user,
            ip=client_ip(request),
        )
        return Response(AccessRequestSerializer(created).data, status=status.HTTP_201_CREATED)

    def _respond(self, obj: AccessRequest, code: int = 200) -> Response:
        return Response(AccessRequestSerializer(obj).data, status=code)

    @extend_schema(
        summary="Approve (optionally shorter); never your own request",
        request=ApproveSerializer,
        responses={200: AccessRequestSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        approved = access.approve_access_request(
            self.get_object(),
            acting_user=request.user,
            ip=client_ip(request),
            **data.validated_data,
        )
        return self._respond(approved)

    @extend_schema(
        summary="Deny; never your own request",
        request=ReasonSerializer,
        responses={200: AccessRequestSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def deny(self, request: Request, pk: Any = None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        denied = access.deny_access_request(
            self.get_object(),
            acting_user=request.user,
            ip=client_ip(request),
            **data.validated_data,
        )
        return self._respond(denied)

    @extend_schema(
        summary="Cancel your pending request",
        request=None,
        responses={200: AccessRequestSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        return self._respond(
            access.cancel_access_request(
                self.get_object(), acting_user=request.user, ip=client_ip(request)
            )
        )

    @extend_schema(
        summary="Revoke a grant at once",
        request=ReasonSerializer,
        responses={200: AccessRequestSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: Any = None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revoked = access.revoke_grant(
            self.get_object(),
            acting_user=request.user,
            ip=client_ip(request),
            **data.validated_data,
        )
        return self._respond(revoked)

    @extend_schema(
        summary="Ask to extend a grant: a new request that needs its own approval",
        request=ExtendSerializer,
        responses={201: AccessRequestSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: Any = None) -> Response:
        data = ExtendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        extension = access.request_extension(
            self.get_object(),
            acting_user=request.user,
            ip=client_ip(request),
            **data.validated_data,
        )
        return self._respond(extension, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Emergency access without approval (designated accounts; managers are alerted)",
        request=BreakGlassSerializer,
        responses={201: AccessRequestSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=False, methods=["post"], url_path="break-glass")
    def break_glass(self, request: Request) -> Response:
        serializer = BreakGlassSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        resource = get_resource_for_user(request.user, data["resource"])
        grant = access.break_glass(
            resource,
            scope=data["scope"],
            case=self._case(resource, data.get("case")),
            justification=data["justification"],
            acting_user=request.user,
            ip=client_ip(request),
        )
        return self._respond(grant, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Mark a break-glass use reviewed (another review manager)",
        request=NotesSerializer,
        responses={200: AccessRequestSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="mark-reviewed")
    def mark_reviewed(self, request: Request, pk: Any = None) -> Response:
        data = NotesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reviewed = access.mark_break_glass_reviewed(
            self.get_object(),
            acting_user=request.user,
            ip=client_ip(request),
            **data.validated_data,
        )
        return self._respond(reviewed)


def _audit_entries(request: Request) -> QuerySet[AuditLogEntry]:
    """Staff see the whole log; review managers see their resources' entries."""
    user: Any = request.user
    entries = AuditLogEntry.objects.all()
    resource = _resource_param(request)
    if resource is not None:
        if not access.is_review_manager(request.user, resource):
            raise exceptions.PermissionDenied("Only review managers read the audit log.")
        entries = entries.filter(resource=resource)
    elif not is_staff(request.user):
        managed = Resource.objects.filter(
            memberships__user=user, memberships__role=Membership.Role.REVIEW_MANAGER
        )
        entries = entries.filter(resource__in=managed)
    for field in ("action", "target_id"):
        if value := _query_filter(request, field):
            entries = entries.filter(**{field: value})
    return entries


@extend_schema_view(
    list=extend_schema(summary="The audit log (review managers: their resources; staff: all)"),
)
@extend_schema(tags=["review-access"], parameters=[RESOURCE_QUERY])
class AuditLogViewSet(ReviewAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditLogEntrySerializer

    def get_queryset(self) -> QuerySet[AuditLogEntry]:
        if self.is_schema_view():
            return AuditLogEntry.objects.none()
        return _audit_entries(self.request)

    @extend_schema(summary="Export the audit log as CSV", responses={(200, "text/csv"): str})
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        response = HttpResponse(
            services.audit_csv(_audit_entries(request)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="review-audit-log.csv"'
        return response


@extend_schema_view(
    list=extend_schema(summary="Enforcement actions (owners, review managers, staff)"),
    retrieve=extend_schema(summary="Show an enforcement action with replies and appeal"),
)
@extend_schema(tags=["review-enforcement"], parameters=[RESOURCE_QUERY])
class EnforcementActionViewSet(ReviewAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = EnforcementActionSerializer
    lookup_value_converter = "uuid"

    def get_queryset(self) -> QuerySet[EnforcementAction]:
        if self.is_schema_view():
            return EnforcementAction.objects.none()
        user: Any = self.request.user
        found = EnforcementAction.objects.select_related("resource").prefetch_related(
            "replies__author", "appeal"
        )
        if not is_staff(user):
            found = found.filter(
                resource__memberships__user=user,
                resource__memberships__role__in=[
                    Membership.Role.OWNER,
                    Membership.Role.REVIEW_MANAGER,
                ],
            )
        if self.request.query_params.get("resource"):
            found = found.filter(resource=_resource_param(self.request))
        return found

    @extend_schema(
        summary="Suspend or terminate a resource directly (review managers)",
        request=SanctionSerializer,
        responses={201: EnforcementActionSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=False, methods=["post"])
    def sanction(self, request: Request) -> Response:
        serializer = SanctionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        resource = get_resource_for_user(request.user, data["resource"])
        case = (
            get_object_or_404(AbuseCase, pk=data["case"], resource=resource)
            if data.get("case")
            else None
        )
        created = actions.sanction_resource(
            resource, kind=data["kind"], reason=data["reason"], case=case, acting_user=request.user
        )
        return Response(EnforcementActionSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reply to a notice (owners)",
        request=TextSerializer,
        responses={201: OwnerReplySerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: Any = None) -> Response:
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = actions.reply_to_action(
            self.get_object(), text=data.validated_data["text"], acting_user=request.user
        )
        return Response(OwnerReplySerializer(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept the remediation and close the notice (review managers)",
        request=ReasonSerializer,
        responses={200: EnforcementActionSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resolved = actions.resolve_action(
            self.get_object(), acting_user=request.user, reason=data.validated_data["reason"]
        )
        return Response(EnforcementActionSerializer(resolved).data)

    @extend_schema(
        summary="Appeal the action, once (owners)",
        request=TextSerializer,
        responses={201: AppealSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def appeal(self, request: Request, pk: Any = None) -> Response:
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filed = actions.file_appeal(
            self.get_object(), text=data.validated_data["text"], acting_user=request.user
        )
        return Response(AppealSerializer(filed).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Appeals"), retrieve=extend_schema(summary="Show an appeal")
)
@extend_schema(tags=["review-enforcement"])
class AppealViewSet(ReviewAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AppealSerializer
    lookup_value_converter = "int"

    def get_queryset(self) -> QuerySet[Appeal]:
        if self.is_schema_view():
            return Appeal.objects.none()
        user: Any = self.request.user
        appeals = Appeal.objects.select_related("action__resource", "appellant", "decided_by")
        if not is_staff(user):
            appeals = appeals.filter(
                action__resource__memberships__user=user,
                action__resource__memberships__role__in=[
                    Membership.Role.OWNER,
                    Membership.Role.REVIEW_MANAGER,
                ],
            )
        return appeals

    def _decide(self, request: Request, approve: bool) -> Response:
        data = AppealDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = actions.decide_appeal(
            self.get_object(),
            approve=approve,
            acting_user=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(AppealSerializer(decided).data)

    @extend_schema(
        summary="Approve: the action is reverted and the resource's status restored",
        request=AppealDecisionSerializer,
        responses={200: AppealSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self._decide(request, True)

    @extend_schema(
        summary="Reject the appeal",
        request=AppealDecisionSerializer,
        responses={200: AppealSerializer, **error_responses(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        return self._decide(request, False)


@extend_schema(
    tags=["review"],
    summary="Dashboard data: flags by day/category/severity, queue health, open cases",
    parameters=[RESOURCE_QUERY, OpenApiParameter("days", int)],
    responses={200: OpenApiTypes.OBJECT, **error_responses(403, 404)},
)
class DashboardView(ReviewAPIMixin, APIView):
    def get(self, request: Request) -> Response:
        resource = _resource_param(request)
        if resource is not None and not (
            is_staff(request.user) or role_of(request.user, resource) in access.REVIEW_ROLES
        ):
            raise exceptions.PermissionDenied("Only reviewers see review dashboards.")
        try:
            days = max(1, min(365, int(request.query_params.get("days", 30))))
        except ValueError as exc:
            raise exceptions.ValidationError({"days": ["A whole number of days."]}) from exc
        return Response(services.dashboard_data(request.user, resource, days=days))
