from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .access import visible_resources


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    resources = visible_resources(request.user).order_by("name")
    return render(request, "guardsite/home.html", {"resources": resources})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
