"""Blocklists and items over REST. Item rules (length, RE2 validity, the per-resource limit) are
checked by blocklists.actions, so the messages match the pages."""

from typing import Any

from rest_framework import serializers

from guardsite.serializers import IndexedListSerializer, StrictSerializer

from .models import MAX_DESCRIPTION, MAX_ITEMS_PER_RESOURCE, MAX_NAME

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class BlocklistSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(max_length=MAX_NAME)
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION, allow_blank=True, required=False
    )
    is_builtin = serializers.BooleanField(read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class BlocklistUpdateSerializer(StrictSerializer):
    name = serializers.CharField(read_only=True, help_text="A list keeps its name.")
    description = serializers.CharField(max_length=MAX_DESCRIPTION, allow_blank=True)


class BlocklistItemSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    # Length and regex validity are checked by blocklists.actions.item_error, whose messages
    # say how long the text is; this bound only keeps absurd bodies out.
    text = serializers.CharField(allow_blank=True, max_length=4096)
    is_regex = serializers.BooleanField(required=False)
    description = serializers.CharField(
        allow_blank=True, required=False, max_length=MAX_DESCRIPTION
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    class Meta:
        list_serializer_class = IndexedListSerializer


class BulkAddSerializer(StrictSerializer):
    items = BlocklistItemSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_ITEMS_PER_RESOURCE,  # type: ignore[call-arg]  # ListSerializer's
    )


class BulkAddResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    items = BlocklistItemSerializer(many=True)


class BulkDeleteSerializer(StrictSerializer):
    item_ids = serializers.ListField(
        child=serializers.CharField(max_length=64),
        allow_empty=False,
        max_length=MAX_ITEMS_PER_RESOURCE,
    )


class BulkDeleteResultSerializer(serializers.Serializer):
    removed = serializers.IntegerField()


class BulkPreviewSerializer(StrictSerializer):
    """One of text (JSON or form) or file (multipart upload)."""

    text = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=MAX_UPLOAD_BYTES
    )
    file = serializers.FileField(required=False, help_text="UTF-8 text or CSV, up to 2 MB.")
    format = serializers.ChoiceField(
        choices=["auto", "lines", "csv"],
        default="auto",
        help_text="auto: CSV when the first line is the header text,isRegex,description.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("text" in attrs) == ("file" in attrs):
            raise serializers.ValidationError("Send either text or a file.")
        upload = attrs.pop("file", None)
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                raise serializers.ValidationError({"file": "The file is larger than 2 MB."})
            try:
                attrs["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise serializers.ValidationError({"file": "The file is not UTF-8 text."}) from exc
        return attrs


class PreviewLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    text = serializers.CharField()
    is_regex = serializers.BooleanField()
    description = serializers.CharField()
    error = serializers.CharField(help_text="Why the line cannot be stored; empty when it can.")


class BulkPreviewResultSerializer(serializers.Serializer):
    valid = serializers.IntegerField()
    invalid = serializers.IntegerField()
    lines = PreviewLineSerializer(many=True)
