"""Import wizard and export pages: thin, every step is a service call.

upload → map the columns → preview (a job: progress bar) → decide on duplicates → apply (a job:
progress bar) → result with links. Export: the list's query string, a file at once or a job.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.jobs import job_state

from . import services
from .forms import MappingForm, UploadForm
from .http import export_response, file_response
from .models import Export, ImportBatch
from .registry import DataType, get_type

ROWS_PER_PAGE = 100


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for messages_ in exc.message_dict.values() for m in messages_]
    return [str(m) for m in exc.messages]


def _list_url(data_type: DataType) -> str | None:
    try:
        return reverse(data_type.list_url_name) if data_type.list_url_name else None
    except NoReverseMatch:
        return None


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    """Choose what to import and the file; the user's earlier imports below."""
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"object_type": request.GET.get("type", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.upload_import(
                request.user, form.cleaned_data["object_type"], form.cleaned_data["file"]
            )
        except ValidationError as exc:
            for message in _messages(exc):
                form.add_error("file", message)
        else:
            return redirect("dataio:import-detail", batch.pk)
    imports = ImportBatch.objects.visible_to(request.user).select_related("job")[:20]
    return render(
        request,
        "dataio/import_start.html",
        {"form": form, "imports": imports, "can_import": bool(form.fields["object_type"].choices)},
    )


def _flagged_rows(batch: ImportBatch, data_type: DataType, page: Any) -> dict[str, Any]:
    columns = [(name, data_type.field_label(name)) for name in batch.mapping.values()]
    mapped = {name for name, _label in columns}
    rows = []
    for row in page:
        cells = [
            {"field": name, "value": row.values.get(name, ""), "errors": row.errors.get(name, [])}
            for name, _label in columns
        ]
        other = [
            message
            for name, messages_ in row.errors.items()
            if name not in mapped
            for message in messages_
        ]
        duplicates = []
        for match in row.duplicates:
            entry = dict(match)
            if match.get("object_id"):
                try:
                    entry["url"] = data_type.model(pk=match["object_id"]).get_absolute_url()
                except (AttributeError, NoReverseMatch):
                    entry["url"] = None
            duplicates.append(entry)
        rows.append({"row": row, "cells": cells, "other_errors": other, "duplicates": duplicates})
    return {"columns": columns, "flagged": rows}


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The wizard page of one import; what it shows follows the import's status."""
    batch = services.get_import(request.user, pk)
    data_type = get_type(batch.object_type)
    context: dict[str, Any] = {
        "batch": batch,
        "data_type": data_type,
        "type_label": data_type.label_plural,
        "list_url": _list_url(data_type),
        "state": job_state(batch.job) if batch.job else None,
    }
    status = batch.status
    if status in (ImportBatch.Status.UPLOADED, ImportBatch.Status.MAPPED):
        context["mapping_form"] = MappingForm(batch)
        context["step"] = "mapping"
    elif batch.is_busy:
        context["step"] = "working"
    elif status in (ImportBatch.Status.PREVIEWED, ImportBatch.Status.FAILED):
        page = Paginator(batch.rows.all(), ROWS_PER_PAGE).get_page(request.GET.get("page"))
        context.update(_flagged_rows(batch, data_type, page))
        context["page"] = page
        context["step"] = "preview"
        context["good_rows"] = batch.row_count - batch.error_rows
    else:
        context["step"] = "done"
        context["created"] = list(
            data_type.model.objects.visible_to(request.user).filter(pk__in=batch.created_ids[:20])
        )
    return render(request, "dataio/import_detail.html", context)


@login_required
@require_POST
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the column mapping and start checking the rows."""
    batch = services.get_import(request.user, pk)
    form = MappingForm(batch, data=request.POST)
    if form.is_valid():
        try:
            batch = services.set_mapping(request.user, batch, form.mapping())
            services.start_preview(request.user, batch)
        except ValidationError as exc:
            for message in _messages(exc):
                form.add_error(None, message)
        else:
            return redirect("dataio:import-detail", batch.pk)
    data_type = get_type(batch.object_type)
    return render(
        request,
        "dataio/import_detail.html",
        {
            "batch": batch,
            "data_type": data_type,
            "type_label": data_type.label_plural,
            "mapping_form": form,
            "step": "mapping",
        },
        status=400,
    )


@login_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the decisions on likely duplicates and start the import."""
    batch = services.get_import(request.user, pk)
    decisions = {
        key.removeprefix("decision-"): value
        for key, value in request.POST.items()
        if key.startswith("decision-")
    }
    try:
        if decisions:
            services.decide_duplicates(request.user, batch, decisions)
        services.start_apply(request.user, batch)
    except ValidationError as exc:
        for message in _messages(exc):
            messages.error(request, message)
    return redirect("dataio:import-detail", batch.pk)


@login_required
def export(request: HttpRequest, type_name: str, file_format: str) -> HttpResponse:
    """Export what the list shows for this query string (the export right is required: 403)."""
    try:
        record, response = export_response(request, type_name, file_format)
    except ValidationError as exc:
        for message in _messages(exc):
            messages.error(request, message)
        return redirect(_list_url(get_type(type_name)) or "home")
    if response is not None:
        return response
    return redirect("dataio:export-detail", record.pk)


def _visible_export(request: HttpRequest, pk: int) -> Export:
    export_ = Export.objects.visible_to(request.user).select_related("job").filter(pk=pk).first()
    if export_ is None:
        raise Http404(_("No such export."))
    return export_


@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A large export: its progress, then its file."""
    export_ = _visible_export(request, pk)
    data_type = get_type(export_.object_type)
    return render(
        request,
        "dataio/export_detail.html",
        {
            "export": export_,
            "data_type": data_type,
            "list_url": _list_url(data_type),
            "state": job_state(export_.job) if export_.job else None,
        },
    )


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    return file_response(_visible_export(request, pk))
