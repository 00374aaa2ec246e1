"""HTTP answers shared by the export pages and the export API: one export path for both."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from . import services
from .models import Export

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}


def file_response(export: Export) -> FileResponse:
    """The file a background export wrote; 404 while it is not written yet."""
    if not export.file:
        raise Http404(_("The file is not ready yet."))
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=services.export_file_name(export),
        content_type=CONTENT_TYPES[export.file_format],
    )


def export_response(
    request: Any, object_type: str, file_format: str
) -> tuple[Export, HttpResponse | None]:
    """Export the list ``request.GET`` filters: its file at once, or None when a job writes it."""
    if file_format not in CONTENT_TYPES:
        raise Http404(_("Export as CSV or XLSX."))
    export = services.create_export(request.user, object_type, file_format, request.GET)
    if export.is_background:
        return export, None
    name = services.export_file_name(export)
    if file_format == "csv":
        response: HttpResponse = StreamingHttpResponse(
            services.export_chunks(request.user, export), content_type=CONTENT_TYPES["csv"]
        )
    else:
        response = HttpResponse(
            services.export_xlsx_bytes(request.user, export), content_type=XLSX_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Export-Id"] = str(export.pk)
    return export, response
