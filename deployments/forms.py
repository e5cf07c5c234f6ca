"""Forms for the deployment pages. The upstream API key is write-only: never rendered back."""

from typing import Any, cast

from django import forms

from filters.models import ContentFilter
from guardsite.models import Resource

from .actions import DeploymentData
from .models import Deployment


class DeploymentForm(forms.Form):
    name = forms.CharField(max_length=64)
    model_name = forms.CharField(max_length=128, label="Model")
    upstream_url = forms.URLField(
        required=False,
        label="Upstream URL",
        help_text="Base URL of an OpenAI-compatible server, e.g. http://host:8000/v1",
        assume_scheme="http",
    )
    upstream_model = forms.CharField(
        max_length=128, required=False, help_text="Sent upstream; the model name if empty."
    )
    # render_value=False: the stored key never reaches the browser, not even on a failed POST.
    upstream_api_key = forms.CharField(
        max_length=512,
        required=False,
        label="Upstream API key",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_api_key = forms.BooleanField(required=False, label="Remove the stored API key")
    upstream_timeout_seconds = forms.IntegerField(
        min_value=1, max_value=600, initial=60, label="Upstream timeout (seconds)"
    )

    def __init__(self, *args: Any, instance: Deployment | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "model_name": instance.model_name,
                    "upstream_url": instance.upstream_url,
                    "upstream_model": instance.upstream_model,
                    "upstream_timeout_seconds": instance.upstream_timeout_seconds,
                },
            )
        super().__init__(*args, **kwargs)
        if instance is None:
            del self.fields["clear_api_key"]
        else:
            self.fields["upstream_api_key"].help_text = (
                "A key is stored. Leave empty to keep it."
                if instance.upstream_api_key
                else "No key stored."
            )

    def deployment_data(self) -> DeploymentData:
        data = self.cleaned_data
        key = data["upstream_api_key"]
        if self.instance is not None and not key:
            key = "" if data.get("clear_api_key") else self.instance.upstream_api_key
        return DeploymentData(
            name=data["name"],
            model_name=data["model_name"],
            upstream_url=data["upstream_url"],
            upstream_model=data["upstream_model"],
            upstream_api_key=key,
            upstream_timeout_seconds=data["upstream_timeout_seconds"],
        )


class AssignForm(forms.Form):
    content_filter = forms.ChoiceField(label="Content filter")
    confirm_replace = forms.BooleanField(required=False, label="Replace the current filter")

    DEFAULT = "default"

    def __init__(self, *args: Any, resource: Resource, deployment: Deployment, **kwargs: Any):
        kwargs.setdefault(
            "initial",
            {"content_filter": str(deployment.content_filter_id or self.DEFAULT)},
        )
        super().__init__(*args, **kwargs)
        self.filters = {
            str(content_filter.pk): content_filter
            for content_filter in ContentFilter.objects.filter(resource=resource).order_by("name")
        }
        cast(forms.ChoiceField, self.fields["content_filter"]).choices = [
            (self.DEFAULT, "Default (built-in)"),
            *[(key, content_filter.name) for key, content_filter in self.filters.items()],
        ]

    def chosen_filter(self) -> ContentFilter | None:
        return self.filters.get(self.cleaned_data["content_filter"])
