"""The API routes of import and export, mounted under ``/api/v1/`` by ``guanxi/api_urls.py``."""

from django.urls import path

from guanxi.core.api.jobs import JobViewSet
from guanxi.core.api.router import register

from .views import ExportFileView, ExportViewSet, ImportViewSet

register("imports", ImportViewSet, "import")
register("exports", ExportViewSet, "export")
register("jobs", JobViewSet, "job")

urlpatterns = [
    path(
        "exports/<slug:type_name>.<slug:file_format>",
        ExportFileView.as_view(),
        name="export-file",
    ),
]
