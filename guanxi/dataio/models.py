"""An import of one file: its columns, the mapping chosen, and the rows the preview flagged."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportBatchQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ImportBatchQuerySet:
        """An import belongs to who uploaded it; administrators see every import."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.is_admin_for("*"):
            return self.all()
        return self.filter(created_by=user)


class ImportBatch(models.Model):
    """One uploaded file on its way through mapping, preview and apply."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        MAPPED = "mapped", _("Columns mapped")
        PREVIEWING = "previewing", _("Checking rows")
        PREVIEWED = "previewed", _("Checked")
        APPLYING = "applying", _("Importing")
        APPLIED = "applied", _("Imported")
        FAILED = "failed", _("Not imported")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    object_type = models.CharField(_("object type"), max_length=50)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4, choices=Format)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    sample_rows = models.JSONField(default=list, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    # {"<column index>": "<field name>"}; unmapped columns are left out.
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.UPLOADED, db_index=True
    )
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("likely duplicates"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    created_ids = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    previewed_at = models.DateTimeField(_("checked"), null=True, blank=True)
    applied_at = models.DateTimeField(_("imported"), null=True, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.object_type})"

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.PREVIEWING, self.Status.APPLYING)


class ImportRow(models.Model):
    """A row of the file the preview (or a failed apply) flagged: its errors or duplicates."""

    class Decision(models.TextChoices):
        SKIP = "skip", _("Skip")
        IMPORT = "import", _("Import anyway")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    # The row number a spreadsheet shows: the header is row 1, the first data row is row 2.
    row_number = models.PositiveIntegerField(_("row"))
    values = models.JSONField(default=dict, blank=True)
    # {"field": ["message", …]}; "__all__" for errors not tied to one column.
    errors = models.JSONField(default=dict, blank=True)
    # [{"object_id": 7, "label": "…", "reasons": ["phone"]}, {"row": 3, "reasons": ["name"]}]
    duplicates = models.JSONField(default=list, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision, blank=True, default=""
    )

    class Meta:
        ordering = ["row_number"]
        verbose_name = _("flagged row")
        verbose_name_plural = _("flagged rows")
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="import_row_unique")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"

    @property
    def is_duplicate(self) -> bool:
        return bool(self.duplicates)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def skipped(self) -> bool:
        """Likely duplicates are skipped unless the user chose to import them anyway."""
        return self.is_duplicate and self.decision != self.Decision.IMPORT


class ExportQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ExportQuerySet:
        """An export (and its file) is for who made it; administrators see every export."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.is_admin_for("*"):
            return self.all()
        return self.filter(created_by=user)


class Export(models.Model):
    """The audit entry of one export: who took which records (by filter) out, and how many.

    A large export is written by a job into ``file``; a small one streams straight to the
    browser and keeps no file.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    object_type = models.CharField(_("object type"), max_length=50)
    file_format = models.CharField(_("format"), max_length=4, choices=Format)
    query = models.TextField(_("filter"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("exported"), default=timezone.now, db_index=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"{self.object_type}.{self.file_format} ({self.row_count})"

    @property
    def is_background(self) -> bool:
        return self.job_id is not None
