"""Imports and exports as the API shows and takes them."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.core.api.jobs import JobSerializer

from ..models import Export, ImportBatch, ImportRow
from ..registry import get_type, type_choices

FLAGGED_ROWS_SHOWN = 500


class ImportRowSerializer(serializers.ModelSerializer):
    row = serializers.IntegerField(source="row_number", read_only=True)
    skipped = serializers.BooleanField(read_only=True)

    class Meta:
        model = ImportRow
        fields = ["row", "values", "errors", "duplicates", "decision", "skipped"]
        read_only_fields = fields


class ImportFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()


class ImportBatchSerializer(serializers.ModelSerializer):
    """An import with its columns, mapping, the fields it may map to, the job and flagged rows."""

    file_name = serializers.CharField(source="original_name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    importable_fields = serializers.SerializerMethodField()
    job = JobSerializer(read_only=True)
    rows = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "object_type",
            "file_name",
            "file_format",
            "encoding",
            "status",
            "status_display",
            "row_count",
            "headers",
            "sample_rows",
            "mapping",
            "importable_fields",
            "error_rows",
            "duplicate_rows",
            "created_count",
            "skipped_count",
            "created_ids",
            "job",
            "rows",
            "created_at",
            "previewed_at",
            "applied_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportFieldSerializer(many=True))
    def get_importable_fields(self, batch: ImportBatch) -> list[dict[str, Any]]:
        """The fields columns may be mapped to."""
        data_type = get_type(batch.object_type)
        required = set(data_type.required_fields())
        return [
            {"name": f.name, "label": data_type.field_label(f.name), "required": f.name in required}
            for f in data_type.fields
        ]

    @extend_schema_field(ImportRowSerializer(many=True))
    def get_rows(self, batch: ImportBatch) -> list[dict[str, Any]]:
        """Rows with errors or likely duplicates (the first 500; all under ``rows/``)."""
        rows = batch.rows.all()[:FLAGGED_ROWS_SHOWN]
        return ImportRowSerializer(rows, many=True).data


class ImportUploadSerializer(serializers.Serializer):
    object_type = serializers.ChoiceField(choices=())
    file = serializers.FileField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = type_choices()


class MappingSerializer(serializers.Serializer):
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text=_('Column index (from 0) to field name, e.g. {"0": "name", "3": "phone"}.'),
    )


class DecisionsSerializer(serializers.Serializer):
    decisions = serializers.DictField(
        child=serializers.ChoiceField(choices=ImportRow.Decision.choices),
        help_text=_('Row number to "skip" or "import", e.g. {"7": "import"}.'),
    )


class ExportSerializer(serializers.ModelSerializer):
    job = JobSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "object_type",
            "file_format",
            "query",
            "row_count",
            "job",
            "download_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_download_url(self, export: Export) -> str | None:
        if not export.file:
            return None
        url = reverse("api:export-download", args=[export.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
