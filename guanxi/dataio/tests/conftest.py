"""Helpers for import and export tests: files in every format, and running a whole import."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.dataio import services
from guanxi.dataio.models import ImportBatch

USCC_A = "91310000MA1FL0000N"
USCC_B = "91110108MA0000001D"
USCC_C = "91440300MA5F00002D"
USCC_D = "91330100MA2B00003E"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    # Uploaded and exported files go to a scratch folder; progress lives in the cache.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GUANXI_JOBS_MODE = "sync"
    cache.clear()
    yield
    cache.clear()


def csv_file(
    rows: Sequence[Sequence[object]], encoding: str = "utf-8", name: str = "customers.csv"
) -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_file(rows: Sequence[Sequence[object]], name: str = "customers.xlsx") -> SimpleUploadedFile:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def import_through_pipeline(capture, actor, object_type, upload, *, apply=True) -> ImportBatch:
    """Upload, map as suggested, check and (unless told) apply a file; the batch at the end.

    ``capture`` is pytest-django's ``django_capture_on_commit_callbacks``: the jobs run after
    the commit. For other apps' import tests (leads, deals).
    """
    batch = services.upload_import(actor, object_type, upload)
    with capture(execute=True):
        services.start_preview(actor, batch)
    batch.refresh_from_db()
    if apply:
        with capture(execute=True):
            services.start_apply(actor, batch)
        batch.refresh_from_db()
    return batch


@pytest.fixture
def apply_import(django_capture_on_commit_callbacks):
    """Apply a previewed import (the job runs after the commit); the batch at the end."""

    def apply(actor, batch) -> ImportBatch:
        with django_capture_on_commit_callbacks(execute=True):
            services.start_apply(actor, batch)
        batch.refresh_from_db()
        return batch

    return apply


@pytest.fixture
def run_import(django_capture_on_commit_callbacks, apply_import):
    """Upload, map (as suggested unless told), preview, decide, apply; the batch at the end."""

    def run(
        actor,
        object_type,
        upload,
        *,
        mapping=None,
        decisions=None,
        apply=True,
    ) -> ImportBatch:
        batch = services.upload_import(actor, object_type, upload)
        if mapping is not None:
            batch = services.set_mapping(actor, batch, mapping)
        with django_capture_on_commit_callbacks(execute=True):
            services.start_preview(actor, batch)
        batch.refresh_from_db()
        if decisions:
            services.decide_duplicates(actor, batch, decisions)
        if apply:
            batch = apply_import(actor, batch)
        return batch

    return run
