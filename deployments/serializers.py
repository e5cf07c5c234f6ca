"""Deployments over REST. The upstream API key is write-only: it is never returned."""

from rest_framework import serializers

from guardsite.serializers import StrictSerializer

from .models import Deployment


class DeploymentSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(max_length=64)
    model_name = serializers.CharField(max_length=128)
    # Validated by the model (deployments.models.validate_upstream_url) through the actions,
    # so single-label hosts such as http://vllm:8000/v1 work the same over REST and in pages.
    upstream_url = serializers.CharField(max_length=500, allow_blank=True, required=False)
    upstream_model = serializers.CharField(max_length=128, allow_blank=True, required=False)
    upstream_api_key = serializers.CharField(
        max_length=512,
        allow_blank=True,
        required=False,
        write_only=True,
        trim_whitespace=False,
        help_text="Write-only; omit it to keep the stored key, send '' to remove it.",
    )
    has_upstream_api_key = serializers.SerializerMethodField()
    upstream_timeout_seconds = serializers.IntegerField(min_value=1, max_value=3600, required=False)
    content_filter = serializers.UUIDField(
        allow_null=True,
        required=False,
        source="content_filter_id",
        help_text="The filter's id; null means the built-in default applies.",
    )
    content_filter_name = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_has_upstream_api_key(self, deployment: Deployment) -> bool:
        return bool(deployment.upstream_api_key)

    def get_content_filter_name(self, deployment: Deployment) -> str:
        return deployment.content_filter.name if deployment.content_filter else "Default"


class DeploymentUpdateSerializer(DeploymentSerializer):
    name = serializers.CharField(max_length=64, required=False)
    model_name = serializers.CharField(max_length=128, required=False)
    content_filter = serializers.UUIDField(
        read_only=True, source="content_filter_id", help_text="Change it with assign-filter."
    )


class AssignFilterSerializer(StrictSerializer):
    content_filter = serializers.UUIDField(
        allow_null=True, help_text="The filter's id; null for the built-in default."
    )
    confirm_replace = serializers.BooleanField(
        default=False, help_text="Needed to replace a filter the deployment already has."
    )
