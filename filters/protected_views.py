"""Protected-material pages: a resource's registered works, added one at a time or as files.

Any member sees the works and their content; owners and filter editors add and delete them.
Global works (the operator's, for every resource) are counted here but managed with
`manage.py import_protected` or the REST API by staff.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from guardsite.models import Resource
from guardsite.page_views import (
    add_action_errors,
    errors_of,
    paginate,
    render_page,
    resource_context,
    resource_for_editor,
    resource_for_viewer,
    search_term,
)

from .forms import ProtectedUploadForm, ProtectedWorkForm
from .models import ProtectedWork
from .protected import add_protected_work, add_protected_works, delete_protected_work


def _work_for_viewer(request: HttpRequest, resource_id: Any, work_id: Any) -> ProtectedWork:
    resource = resource_for_viewer(request, resource_id)
    return get_object_or_404(ProtectedWork, resource=resource, pk=work_id)


def _work_for_editor(request: HttpRequest, resource_id: Any, work_id: Any) -> ProtectedWork:
    resource = resource_for_editor(request, resource_id)
    return get_object_or_404(ProtectedWork, resource=resource, pk=work_id)


def _kind_filter(request: HttpRequest) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in ProtectedWork.Kind.values else ""


def _list_page(
    request: HttpRequest, resource: Resource, *, status: int = 200, **extra: Any
) -> HttpResponse:
    works = (
        ProtectedWork.objects.filter(resource=resource)
        .defer("content")
        .annotate(content_length=Length("content"))
        .order_by("title", "kind")
    )
    term, kind = search_term(request), _kind_filter(request)
    if term:
        works = works.filter(title__icontains=term)
    if kind:
        works = works.filter(kind=kind)
    context = resource_context(
        request,
        resource,
        page=paginate(request, works),
        q=term,
        kind=kind,
        kinds=ProtectedWork.Kind.choices,
        global_count=ProtectedWork.objects.filter(resource=None).count(),
        work_form=extra.pop("work_form", None) or ProtectedWorkForm(),
        upload_form=extra.pop("upload_form", None) or ProtectedUploadForm(),
        **extra,
    )
    return render_page(request, "filters/protected.html", context, partial="table", status=status)


@require_GET
@login_required
def protected_list(request: HttpRequest, resource_id: Any) -> HttpResponse:
    return _list_page(request, resource_for_viewer(request, resource_id))


@require_POST
@login_required
def protected_add(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_editor(request, resource_id)
    form = ProtectedWorkForm(request.POST)
    if form.is_valid():
        try:
            work = add_protected_work(resource, form.work(), acting_user=request.user)
        except ValidationError as exc:
            add_action_errors(form, exc, fallback="content")
        else:
            messages.success(request, f"Registered “{work.title}”.")
            return redirect("filters:protected", resource.pk)
    return _list_page(request, resource, status=400, work_form=form)


@require_POST
@login_required
def protected_upload(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_editor(request, resource_id)
    form = ProtectedUploadForm(request.POST, request.FILES)
    if form.is_valid():
        works = form.cleaned_data["works"]
        try:
            added = add_protected_works(resource, works, acting_user=request.user, label="uploads")
        except ValidationError as exc:
            # The action names each refused work by position; the page names it by file.
            titles = {f"uploads[{index}]": work.title for index, work in enumerate(works)}
            for key, problems in errors_of(exc).items():
                for problem in problems:
                    form.add_error("uploads", f"{titles.get(key, 'Upload')}: {problem}")
        else:
            count = len(added)
            messages.success(request, f"Registered {count} work{'s' if count != 1 else ''}.")
            return redirect("filters:protected", resource.pk)
    return _list_page(request, resource, status=400, upload_form=form)


@require_GET
@login_required
def protected_detail(request: HttpRequest, resource_id: Any, work_id: Any) -> HttpResponse:
    work = _work_for_viewer(request, resource_id, work_id)
    assert work.resource is not None
    context = resource_context(request, work.resource, work=work)
    return render(request, "filters/protected_detail.html", context)


@require_POST
@login_required
def protected_delete(request: HttpRequest, resource_id: Any, work_id: Any) -> HttpResponse:
    work = _work_for_editor(request, resource_id, work_id)
    title = work.title
    delete_protected_work(work, acting_user=request.user)
    messages.success(request, f"Deleted “{title}”.")
    return redirect("filters:protected", resource_id)
