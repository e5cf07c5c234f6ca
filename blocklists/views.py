"""Blocklist pages: list, create, detail with items and description, add, bulk import with
preview, export."""

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guardsite.page_views import (
    add_action_errors,
    full_redirect,
    paginate,
    render_list_page,
    render_page,
    resource_context,
    resource_for_editor,
    resource_for_viewer,
    search_term,
)

from .actions import (
    ItemInput,
    add_items,
    create_blocklist,
    delete_blocklist,
    parse_bulk,
    remove_items,
    update_blocklist,
)
from .forms import BlocklistForm, BulkImportForm, DescriptionForm, ItemForm
from .models import Blocklist

ITEMS_PER_PAGE = 50


def _list_for_viewer(request: HttpRequest, resource_id: Any, blocklist_id: Any) -> Blocklist:
    resource = resource_for_viewer(request, resource_id)
    return get_object_or_404(Blocklist, resource=resource, pk=blocklist_id)


def _list_for_editor(request: HttpRequest, resource_id: Any, blocklist_id: Any) -> Blocklist:
    resource = resource_for_editor(request, resource_id)
    return get_object_or_404(Blocklist, resource=resource, pk=blocklist_id)


@require_GET
@login_required
def blocklist_list(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_viewer(request, resource_id)
    lists = (
        Blocklist.objects.filter(resource=resource)
        .annotate(item_count=Count("items"))
        .order_by("name")
    )
    return render_list_page(
        request, resource, lists, "blocklists/list.html", ("name", "description")
    )


@require_http_methods(["GET", "POST"])
@login_required
def blocklist_create(request: HttpRequest, resource_id: Any) -> HttpResponse:
    resource = resource_for_editor(request, resource_id)
    form = BlocklistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            blocklist = create_blocklist(resource, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, f"Created blocklist '{blocklist.name}'.")
            return redirect("blocklists:detail", resource.pk, blocklist.pk)
    context = resource_context(request, resource, form=form)
    return render(request, "blocklists/create.html", context, status=400 if form.errors else 200)


def _detail(request: HttpRequest, blocklist: Blocklist, *, status: int = 200, **extra: Any):
    assert blocklist.resource is not None
    items = blocklist.items.all()
    term = search_term(request)
    if term:
        items = items.filter(Q(text__icontains=term) | Q(description__icontains=term))
    context = resource_context(
        request,
        blocklist.resource,
        blocklist=blocklist,
        page=paginate(request, items, ITEMS_PER_PAGE),
        q=term,
        item_form=extra.pop("item_form", None) or ItemForm(),
        description_form=extra.pop("description_form", None)
        or DescriptionForm(initial={"description": blocklist.description}),
        used_by=sorted(set(blocklist.attachments.values_list("content_filter__name", flat=True))),
        **extra,
    )
    return render_page(request, "blocklists/detail.html", context, partial="table", status=status)


@require_GET
@login_required
def blocklist_detail(request: HttpRequest, resource_id: Any, blocklist_id: Any) -> HttpResponse:
    return _detail(request, _list_for_viewer(request, resource_id, blocklist_id))


@require_POST
@login_required
def blocklist_edit(request: HttpRequest, resource_id: Any, blocklist_id: Any) -> HttpResponse:
    """Change the description (a list keeps its name: filters and exports refer to it)."""
    blocklist = _list_for_editor(request, resource_id, blocklist_id)
    form = DescriptionForm(request.POST)
    if form.is_valid():
        try:
            update_blocklist(
                blocklist, description=form.cleaned_data["description"], acting_user=request.user
            )
        except ValidationError as exc:
            add_action_errors(form, exc, fallback="description")
        else:
            messages.success(request, "Saved the description.")
            return redirect("blocklists:detail", resource_id, blocklist.pk)
    return _detail(request, blocklist, status=400, description_form=form)


@require_POST
@login_required
def item_add(request: HttpRequest, resource_id: Any, blocklist_id: Any) -> HttpResponse:
    blocklist = _list_for_editor(request, resource_id, blocklist_id)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            add_items(blocklist, [ItemInput(**form.cleaned_data)], acting_user=request.user)
        except ValidationError as exc:
            # add_items names the item by position; this form has just the one: its text.
            add_action_errors(form, exc, fallback="text")
        else:
            messages.success(request, f"Added “{form.cleaned_data['text']}”.")
            return redirect("blocklists:detail", resource_id, blocklist.pk)
    return _detail(request, blocklist, status=400, item_form=form)


@require_POST
@login_required
def items_delete(request: HttpRequest, resource_id: Any, blocklist_id: Any) -> HttpResponse:
    blocklist = _list_for_editor(request, resource_id, blocklist_id)
    item_ids = request.POST.getlist("items")
    if not item_ids:
        return _detail(request, blocklist, status=400, action_errors=["Select items to delete."])
    try:
        removed = remove_items(blocklist, item_ids, acting_user=request.user)
    except ValidationError as exc:
        return _detail(request, blocklist, status=400, action_errors=exc.messages)
    messages.success(request, f"Deleted {removed} item{'s' if removed != 1 else ''}.")
    return redirect("blocklists:detail", resource_id, blocklist.pk)


@require_http_methods(["GET", "POST"])
@login_required
def bulk_import(request: HttpRequest, resource_id: Any, blocklist_id: Any) -> HttpResponse:
    """Paste or upload, then a preview of every line; only Confirm (with no invalid line) saves."""
    blocklist = _list_for_editor(request, resource_id, blocklist_id)
    assert blocklist.resource is not None
    form = BulkImportForm(request.POST or None, request.FILES or None)
    context = resource_context(
        request, blocklist.resource, blocklist=blocklist, form=form, lines=None
    )
    if request.method == "GET" or not form.is_valid():
        status = 400 if form.errors else 200
        return render_page(
            request, "blocklists/import.html", context, partial="importer", status=status
        )

    text = form.cleaned_data["text"]
    lines = parse_bulk(text, csv_format=form.csv_format())
    invalid = [line for line in lines if not line.ok]
    context.update(lines=lines, invalid=invalid, text=text, format=form.cleaned_data["format"])
    if request.POST.get("confirm") != "yes":
        return render_page(request, "blocklists/import.html", context, partial="importer")
    if invalid:
        context["action_errors"] = [
            f"Nothing was saved: {len(invalid)} line{'s are' if len(invalid) != 1 else ' is'} "
            "invalid. Fix or remove them and preview again."
        ]
        return render_page(
            request, "blocklists/import.html", context, partial="importer", status=400
        )
    items = [ItemInput(line.text, line.is_regex, line.description) for line in lines]
    try:
        stored = add_items(blocklist, items, acting_user=request.user)
    except ValidationError as exc:
        context["action_errors"] = exc.messages
        return render_page(
            request, "blocklists/import.html", context, partial="importer", status=400
        )
    messages.success(request, f"Imported {len(stored)} item{'s' if len(stored) != 1 else ''}.")
    return full_redirect(request, "blocklists:detail", resource_id, blocklist.pk)


@require_GET
@login_required
def blocklist_export(request: HttpRequest, resource_id: Any, blocklist_id: Any) -> HttpResponse:
    blocklist = _list_for_viewer(request, resource_id, blocklist_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{blocklist.name}.csv"'
    writer = csv.writer(response)
    writer.writerow(["text", "isRegex", "description"])
    for item in blocklist.items.all().iterator():
        writer.writerow([item.text, "true" if item.is_regex else "false", item.description])
    return response


@require_POST
@login_required
def blocklist_delete(request: HttpRequest, resource_id: Any, blocklist_id: Any) -> HttpResponse:
    blocklist = _list_for_editor(request, resource_id, blocklist_id)
    try:
        delete_blocklist(blocklist, acting_user=request.user)
    except ValidationError as exc:
        return _detail(request, blocklist, status=400, action_errors=exc.messages)
    messages.success(request, f"Deleted blocklist '{blocklist.name}'.")
    return redirect("blocklists:list", resource_id)
