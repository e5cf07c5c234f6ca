"""The runtime API: Content Safety data plane, moderations, and the chat-completions gateway."""

from django.urls import include, path

urlpatterns = [
    path("contentsafety/", include("guardsite.runtime.content_safety_urls")),
    path("", include("guardsite.runtime.gateway_urls")),
]
