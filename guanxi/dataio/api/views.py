"""``/api/v1/imports/`` and ``/api/v1/exports/``: thin, every step is a service call."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from guanxi.core.api.jobs import JobSerializer
from guanxi.core.api.permissions import IsStaff

from .. import services
from ..http import CONTENT_TYPES, XLSX_TYPE, export_response, file_response
from ..models import Export, ImportBatch
from .serializers import (
    DecisionsSerializer,
    ExportSerializer,
    ImportBatchSerializer,
    ImportRowSerializer,
    ImportUploadSerializer,
    MappingSerializer,
)


class ImportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Import accounts, contacts … from CSV or XLSX: upload, map, preview, decide, apply.

    Preview and apply are background jobs: they answer 202 with the job; poll the import
    (or ``/api/v1/jobs/{id}/``) for progress. Apply writes every row or none.
    """

    serializer_class = ImportBatchSerializer
    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    lookup_value_regex = r"\d+"
    filterset_fields = ["object_type", "status"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self) -> Any:
        return (
            ImportBatch.objects.visible_to(self.request.user)
            .select_related("job")
            .order_by("-created_at", "-id")
        )

    def _batch(self) -> ImportBatch:
        return services.get_import(self.request.user, self.kwargs["pk"])

    def _answer(self, batch: ImportBatch, code: int = status.HTTP_200_OK) -> Response:
        batch = services.get_import(self.request.user, batch.pk)
        return Response(self.get_serializer(batch).data, status=code)

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer})
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        """Upload a file (``file``) for an ``object_type``; the mapping comes suggested."""
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        batch = services.upload_import(
            request.user, upload.validated_data["object_type"], upload.validated_data["file"]
        )
        return self._answer(batch, status.HTTP_201_CREATED)

    @extend_schema(request=MappingSerializer, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def mapping(self, request: Any, pk: str) -> Response:
        """Choose which column (index from 0) fills which field."""
        body = MappingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = services.set_mapping(request.user, self._batch(), body.validated_data["mapping"])
        return self._answer(batch)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def preview(self, request: Any, pk: str) -> Response:
        """Check every row in the background: errors and likely duplicates."""
        job = services.start_preview(request.user, self._batch())
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=DecisionsSerializer, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def decisions(self, request: Any, pk: str) -> Response:
        """Skip (the default) or import anyway each likely duplicate, by row number."""
        body = DecisionsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = self._batch()
        services.decide_duplicates(request.user, batch, body.validated_data["decisions"])
        return self._answer(batch)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request: Any, pk: str) -> Response:
        """Import every row in the background, all or none."""
        job = services.start_apply(request.user, self._batch())
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ImportRowSerializer(many=True))
    @action(detail=True, methods=["get"])
    def rows(self, request: Any, pk: str) -> Response:
        """Every flagged row, paginated."""
        rows = self._batch().rows.all()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ImportRowSerializer(page, many=True).data)


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The exports the caller made (the audit trail), and the files of large ones."""

    serializer_class = ExportSerializer
    permission_classes = [IsStaff]
    lookup_value_regex = r"\d+"
    filterset_fields = ["object_type", "file_format"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self) -> Any:
        return (
            Export.objects.visible_to(self.request.user)
            .select_related("job")
            .order_by("-created_at", "-id")
        )

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Any, pk: str) -> FileResponse:
        """The file a background export wrote (404 until it is written)."""
        export = self.get_object()
        return file_response(export)


class AnyAccept(BaseContentNegotiation):
    """The file endpoint answers a file whatever ``Accept`` says, JSON only for a job."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0]

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class ExportFileView(APIView):
    """``GET /api/v1/exports/{accounts|contacts|leads|opportunities}.{csv|xlsx}?<list filters>``.

    The same filters as the list (``?city=上海&relationship_class=loyal&q=…``), the records the
    caller may see, and the ``export`` right (403 without). Up to a limit the file comes back
    at once (CSV with a UTF-8 BOM); above it the answer is 202 with the export, whose job
    writes the file for ``/api/v1/exports/{id}/download/``.
    """

    permission_classes = [IsStaff]
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="v1_exports_file",
        parameters=[
            OpenApiParameter(
                "filters",
                OpenApiTypes.OBJECT,
                OpenApiParameter.QUERY,
                style="form",
                explode=True,
                description="Any filter of the type's list endpoint.",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
            202: ExportSerializer,
            403: OpenApiResponse(description="No export right on this object type."),
        },
    )
    def get(self, request: Any, type_name: str, file_format: str) -> Any:
        if file_format not in CONTENT_TYPES:
            raise Http404(_("Export as CSV or XLSX."))
        export, response = export_response(request, type_name, file_format)
        if response is not None:
            return response
        return Response(
            ExportSerializer(export, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )
