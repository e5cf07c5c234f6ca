"""Deployment pages: list, create, edit and assigning a content filter (with replacement
confirmation, as in the portal)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from guardsite.page_views import (
    add_action_errors,
    full_redirect,
    render_list_page,
    render_page,
    resource_context,
    resource_for_editor,
    resource_for_viewer,
)

from .actions import (
    ReplacementNotConfirmed,
    assign_filter,
    create_deployment,
    update_deployment,
)
from .forms import AssignForm, DeploymentForm
from .models import Deployment


def _deployment_for_editor(request: HttpRequest, resource_id: Any, deployment_id: Any):
    resource = resource_for_editor(request, resource_id)
    return get_object_or_404(
        Deployment.objects.select_related("content_filter", "resource"),
        resource=resource,
        pk=deployment_id,
    )


@require_GET
@login_required
def deployment_list(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_viewer(request, resource_id)
    deployments = Deployment.objects.filter(resource=resource).select_related("content_filter")
    return render_list_page(
        request,
        resource,
        deployments,
        "deployments/list.html",
        ("name", "model_name", "content_filter__name"),
    )


@require_http_methods(["GET", "POST"])
@login_required
def deployment_create(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_editor(request, resource_id)
    form = DeploymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deployment = create_deployment(
                resource, form.deployment_data(), acting_user=request.user
            )
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"Created deployment '{deployment.name}'.")
            return redirect("deployments:list", resource.pk)
    context = resource_context(request, resource, form=form)
    return render(request, "deployments/form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def deployment_edit(request: HttpRequest, resource_id: Any, deployment_id: Any) -> HttpResponse:
    deployment = _deployment_for_editor(request, resource_id, deployment_id)
    form = DeploymentForm(request.POST or None, instance=deployment)
    if request.method == "POST" and form.is_valid():
        try:
            update_deployment(deployment, form.deployment_data(), acting_user=request.user)
        except ValidationError as exc:
            deployment.refresh_from_db()
            add_action_errors(form, exc)
        else:
            messages.success(request, f"Saved deployment '{deployment.name}'.")
            return redirect("deployments:list", resource_id)
    context = resource_context(request, deployment.resource, form=form, deployment=deployment)
    return render(request, "deployments/form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def deployment_assign(request: HttpRequest, resource_id: Any, deployment_id: Any) -> HttpResponse:
    """Choose the deployment's filter. Replacing another filter asks for explicit confirmation,
    naming the current filter; assign_filter refuses until it is given."""
    deployment = _deployment_for_editor(request, resource_id, deployment_id)
    resource = deployment.resource
    form = AssignForm(request.POST or None, resource=resource, deployment=deployment)
    needs_confirmation = None
    if request.method == "POST" and form.is_valid():
        try:
            assign_filter(
                deployment,
                form.chosen_filter(),
                acting_user=request.user,
                confirm_replace=form.cleaned_data["confirm_replace"],
            )
        except ReplacementNotConfirmed as exc:
            needs_confirmation = exc
        except ValidationError as exc:
            add_action_errors(form, exc, fallback="content_filter")
        else:
            chosen = form.chosen_filter()
            messages.success(
                request,
                f"Deployment '{deployment.name}' now uses "
                f"{chosen.name if chosen else 'the built-in default'}.",
            )
            return full_redirect(request, "deployments:list", resource_id)
    context = resource_context(
        request,
        resource,
        deployment=deployment,
        form=form,
        needs_confirmation=needs_confirmation,
    )
    status = 409 if needs_confirmation else 400 if form.errors else 200
    return render_page(request, "deployments/assign.html", context, partial="assign", status=status)
