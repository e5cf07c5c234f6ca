from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

handler404 = "guardsite.api.json_404"
handler500 = "guardsite.api.json_500"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/review/", include("review.api_urls")),
    path("api/v1/", include("guardsite.api_urls")),
    path("resources/", include("guardsite.page_urls")),
    path("review/", include("review.urls")),
    path("resources/<uuid:resource_id>/filters/", include("filters.urls")),
    path("resources/<uuid:resource_id>/blocklists/", include("blocklists.urls")),
    path("resources/<uuid:resource_id>/deployments/", include("deployments.urls")),
    path("resources/<uuid:resource_id>/playground/", include("guardsite.runtime.playground_urls")),
    path("", include("guardsite.runtime.urls")),
]
