"""Shared REST serializers: a strict base, the documented error shape, resources and members.

Serializers only check shapes and types; every rule about what may change lives in the action
functions, which the views call.
"""

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .access import role_of
from .models import ActivityEntry, Membership, Resource


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo or a read-only field is an error, not a no-op."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {field.field_name for field in self._writable_fields}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {
                        key: ["This field cannot be changed."]
                        if key in self.fields
                        else ["Unknown field."]
                        for key in unknown
                    }
                )
            # DRF's CharField turns 7.5 into "7.5"; a JSON number where text belongs is a mistake.
            not_text = [
                str(field.field_name)
                for field in self._writable_fields
                if isinstance(field, serializers.CharField)
                and data.get(field.field_name) is not None
                and not isinstance(data.get(field.field_name), str)
            ]
            if not_text:
                raise serializers.ValidationError(
                    {name: ["Must be a string."] for name in not_text}
                )
        return super().to_internal_value(data)


class IndexedListSerializer(serializers.ListSerializer):
    """A list of whole objects; errors by position, so their targets read `items[3].text`.

    DRF 3.18 reports them as a dict keyed by index, which guardsite.api.details_from would name
    `items.text`, losing which item was wrong.
    """

    def run_child_validation(self, data: Any) -> Any:
        # An item of a list is a whole object even in a partial update of its parent: DRF skips
        # every required check under a partial root, so `[{}]` would pass without its `id`.
        root = self.root
        partial = getattr(root, "partial", False)
        root.partial = False
        try:
            return super().run_child_validation(data)
        finally:
            root.partial = partial

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail: Any = exc.detail
            if isinstance(detail, dict) and detail and all(isinstance(k, int) for k in detail):
                positions = range(len(data))
                raise serializers.ValidationError([detail.get(i, {}) for i in positions]) from exc
            raise


def refuse_unstorable_text(data: Any, target: str = "") -> None:
    """Refuse NUL and lone surrogate characters anywhere in a JSON body read without a serializer.

    DRF's CharField refuses both; a body parsed by hand (an imported RAI policy) must too, or
    PostgreSQL and UTF-8 refuse them later with a 500.
    """
    if isinstance(data, str):
        if "\x00" in data:
            raise serializers.ValidationError({target: ["Null characters are not allowed."]})
        if any(0xD800 <= ord(char) <= 0xDFFF for char in data):
            raise serializers.ValidationError({target: ["Surrogate characters are not allowed."]})
    elif isinstance(data, Mapping):
        for key, value in data.items():
            refuse_unstorable_text(key, target)  # the key is not echoed: it cannot be encoded
            refuse_unstorable_text(value, f"{target}.{key}" if target else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            refuse_unstorable_text(value, f"{target}[{index}]")


# The error body every endpoint answers with; documented once, used in every extend_schema.
class ErrorDetailSerializer(serializers.Serializer):
    target = serializers.CharField()
    message = serializers.CharField()


class ErrorInnerSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Also sent in the x-ms-error-code header.")
    message = serializers.CharField()
    details = ErrorDetailSerializer(many=True, required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorInnerSerializer()


def error_responses(*codes: int) -> dict[int, type[serializers.Serializer]]:
    return dict.fromkeys(codes, ErrorSerializer)


class ResourceSerializer(StrictSerializer):
    """A resource. Owners change name, region and EEA location; staff also approvals and status."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(max_length=64)
    region = serializers.CharField(max_length=64, required=False)
    in_eea = serializers.BooleanField(required=False)
    status = serializers.ChoiceField(choices=Resource.Status.choices, required=False)
    modified_content_filters_approved = serializers.BooleanField(required=False)
    modified_abuse_monitoring_approved = serializers.BooleanField(required=False)
    role = serializers.SerializerMethodField(help_text="Your role on this resource.")
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True))
    def get_role(self, resource: Resource) -> str | None:
        return role_of(self.context["request"].user, resource)


class ResourceCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=64)
    region = serializers.CharField(max_length=64, required=False)
    in_eea = serializers.BooleanField(required=False)


class MemberSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(max_length=150, source="user.username")
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    created_at = serializers.DateTimeField(read_only=True)


class MemberRoleSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class ActivityEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True)

    class Meta:
        model = ActivityEntry
        fields = [
            "id",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "actor",
            "before",
            "after",
            "created_at",
        ]
        read_only_fields = fields


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Token <token>'.")
