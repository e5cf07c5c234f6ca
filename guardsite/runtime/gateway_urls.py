from django.urls import path, re_path

from . import gateway
from .moderations import create_moderation

urlpatterns: list = [
    path(
        "openai/deployments/<str:deployment_name>/chat/completions",
        gateway.azure_chat_completions,
        name="gateway-azure-chat",
    ),
    path(
        "openai/deployments/<str:deployment_name>/completions",
        gateway.azure_completions,
        name="gateway-azure-completions",
    ),
    path("v1/chat/completions", gateway.openai_chat_completions, name="gateway-chat"),
    path("v1/completions", gateway.openai_completions, name="gateway-completions"),
    path("v1/moderations", create_moderation, name="moderations"),
    # Last: whatever else is under these prefixes is an unknown route of the OpenAI surfaces.
    re_path(r"^(?:v1|openai)(?:/(?P<rest>.*))?$", gateway.unknown_route, name="gateway-unknown"),
]
