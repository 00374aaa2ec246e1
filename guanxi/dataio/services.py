"""Import and export use-cases: each takes the acting user; long ones run as jobs.

Import: :func:`upload_import` → :func:`set_mapping` → :func:`start_preview` (job
:func:`run_preview`) → :func:`decide_duplicates` → :func:`start_apply` (job :func:`run_apply`,
all-or-none). Export: :func:`create_export`, then the rows straight away (small) or a job
writing a file (:func:`run_export`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
import zoneinfo
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.http import Http404, QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.core import events, jobs
from guanxi.core import services as core
from guanxi.core.context import current_request_id
from guanxi.core.models import Action, Job

from . import exports
from .duplicates import DuplicateFinder
from .mapping import clean_mapping, mapped_values, suggest_mapping
from .models import Export, ImportBatch, ImportRow
from .readers import detect_format, inspect_table, open_rows
from .registry import DataType, get_type
from .rows import BuiltRow, RowBuilder, messages_of

Status = ImportBatch.Status


def max_upload_bytes() -> int:
    return int(getattr(settings, "GUANXI_IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def max_import_rows() -> int:
    return int(getattr(settings, "GUANXI_IMPORT_MAX_ROWS", 50_000))


def export_sync_rows() -> int:
    """Exports up to this many rows answer at once; bigger ones run as a job."""
    return int(getattr(settings, "GUANXI_EXPORT_SYNC_ROWS", 5_000))


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------


def get_import(actor: Any, pk: Any) -> ImportBatch:
    """One of the actor's imports; 404 for anyone else's."""
    try:
        return ImportBatch.objects.visible_to(actor).select_related("job").get(pk=pk)
    except (ImportBatch.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such import.")) from exc


def _lock(batch: ImportBatch) -> ImportBatch:
    return ImportBatch.objects.select_for_update().get(pk=batch.pk)


def _refuse_if_busy(batch: ImportBatch) -> None:
    if batch.is_busy:
        raise ValidationError({"status": _("Wait until the running step has finished.")})
    if batch.status == Status.APPLIED:
        raise ValidationError({"status": _("This file has been imported already.")})


def upload_import(actor: Any, object_type: str, upload: UploadedFile | None) -> ImportBatch:
    """Store an uploaded CSV or XLSX file and read its columns; the mapping is suggested.

    Needs the ``create`` right on the type. The file is stored under ``MEDIA_ROOT/imports/``
    with a random name (the user's file name is kept as a label only).
    """
    data_type = get_type(object_type)
    core.require_action(actor, data_type.key, Action.CREATE)
    if upload is None:
        raise ValidationError({"file": _("Choose a file to import.")})
    if upload.size is not None and upload.size > max_upload_bytes():
        raise ValidationError(
            {
                "file": _("The file is larger than %(size)s MB.")
                % {"size": max_upload_bytes() // (1024 * 1024)}
            }
        )
    name = Path(upload.name or "import").name[:200]
    head = upload.read(8192)
    upload.seek(0)
    file_format = detect_format(name, head)
    batch = ImportBatch(
        object_type=data_type.key, original_name=name, file_format=file_format, created_by=actor
    )
    batch.file.save(f"{uuid.uuid4().hex}.{file_format}", upload, save=False)
    try:
        info = inspect_table(Path(batch.file.path), name, max_import_rows())
    except ValidationError:
        batch.file.delete(save=False)
        raise
    batch.encoding = info.encoding
    batch.headers = info.headers
    batch.sample_rows = info.sample_rows
    batch.row_count = info.row_count
    batch.mapping = suggest_mapping(data_type, info.headers)
    batch.save()
    return batch


@transaction.atomic
def set_mapping(actor: Any, batch: ImportBatch, mapping: Mapping[str, str]) -> ImportBatch:
    """Choose which column fills which field; earlier check results are dropped."""
    batch = _lock(get_import(actor, batch.pk))
    _refuse_if_busy(batch)
    batch.mapping = clean_mapping(get_type(batch.object_type), batch.headers, mapping)
    batch.status = Status.MAPPED
    batch.error_rows = batch.duplicate_rows = 0
    batch.rows.all().delete()
    batch.save()
    return batch


@transaction.atomic
def start_preview(actor: Any, batch: ImportBatch) -> Job:
    """Check every row in the background: errors per row and field, likely duplicates."""
    batch = _lock(get_import(actor, batch.pk))
    _refuse_if_busy(batch)
    data_type = get_type(batch.object_type)
    core.require_action(actor, data_type.key, Action.CREATE)
    batch.mapping = clean_mapping(data_type, batch.headers, batch.mapping)
    batch.status = Status.PREVIEWING
    batch.job = jobs.start_job(
        actor,
        "import.preview",
        "guanxi.dataio.tasks.preview_import",
        batch.pk,
        message=_("Checking rows…"),
    )
    batch.save()
    return batch.job


@transaction.atomic
def decide_duplicates(actor: Any, batch: ImportBatch, decisions: Mapping[Any, str]) -> int:
    """Per likely-duplicate row: ``"skip"`` (the default) or ``"import"`` anyway."""
    batch = _lock(get_import(actor, batch.pk))
    _refuse_if_busy(batch)
    if batch.status not in (Status.PREVIEWED, Status.FAILED):
        raise ValidationError({"status": _("Check the rows first.")})
    errors = {}
    changed = 0
    rows = {row.row_number: row for row in batch.rows.all()}
    for raw_number, decision in decisions.items():
        try:
            row = rows[int(raw_number)]
        except (KeyError, TypeError, ValueError):
            errors[str(raw_number)] = _("Row %(row)s is not a likely duplicate.") % {
                "row": raw_number
            }
            continue
        if not row.is_duplicate:
            errors[str(raw_number)] = _("Row %(row)s is not a likely duplicate.") % {
                "row": raw_number
            }
            continue
        if decision not in ImportRow.Decision.values:
            errors[str(raw_number)] = _("Choose skip or import.")
            continue
        if row.decision != decision:
            row.decision = decision
            row.save(update_fields=["decision"])
            changed += 1
    if errors:
        raise ValidationError({"decisions": [f"{k}: {v}" for k, v in errors.items()]})
    return changed


@transaction.atomic
def start_apply(actor: Any, batch: ImportBatch) -> Job:
    """Import the checked file in the background, all rows or none."""
    batch = _lock(get_import(actor, batch.pk))
    _refuse_if_busy(batch)
    if batch.status != Status.PREVIEWED:
        raise ValidationError({"status": _("Check the rows before importing them.")})
    core.require_action(actor, batch.object_type, Action.CREATE)
    batch.status = Status.APPLYING
    batch.job = jobs.start_job(
        actor,
        "import.apply",
        "guanxi.dataio.tasks.apply_import",
        batch.pk,
        message=_("Importing…"),
    )
    batch.save()
    return batch.job


@contextmanager
def _batch_rows(batch: ImportBatch) -> Iterator[Iterator[tuple[int, dict[str, str]]]]:
    with open_rows(Path(batch.file.path), batch.file_format, batch.encoding) as (_headers, rows):
        yield ((number, mapped_values(batch.mapping, cells)) for number, cells in rows)


class _Progress:
    def __init__(self, job: Job, total: int, text: str) -> None:
        self.job, self.total, self.text = job, max(total, 1), text
        self.step = max(1, self.total // 100)
        self.done = 0

    def tick(self) -> None:
        self.done += 1
        if self.done % self.step == 0:
            jobs.report_progress(
                self.job,
                min(99, self.done * 100 // self.total),
                self.text % {"done": self.done, "total": self.total},
            )


def run_preview(job: Job, batch_id: int) -> dict[str, Any]:
    """The preview job: validate every row as the create service would, find duplicates."""
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    try:
        return _preview(job, batch)
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk, status=Status.PREVIEWING).update(
            status=Status.MAPPED
        )
        raise


def _preview(job: Job, batch: ImportBatch) -> dict[str, Any]:
    actor = batch.created_by
    data_type = get_type(batch.object_type)
    builder = RowBuilder(data_type, actor)
    finder = DuplicateFinder(data_type, actor)
    progress = _Progress(job, batch.row_count, _("Checked %(done)s of %(total)s rows"))
    flagged: list[ImportRow] = []
    with _batch_rows(batch) as rows:
        for number, values in rows:
            built = builder.build(values)
            duplicates = finder.check(number, built.instance) if built.instance else []
            if built.errors or duplicates:
                flagged.append(
                    ImportRow(
                        batch=batch,
                        row_number=number,
                        values=values,
                        errors=built.errors,
                        duplicates=duplicates,
                        decision=ImportRow.Decision.SKIP if duplicates else "",
                    )
                )
            progress.tick()
    error_rows = sum(1 for row in flagged if row.errors)
    duplicate_rows = sum(1 for row in flagged if row.duplicates)
    with transaction.atomic():
        batch.rows.all().delete()
        ImportRow.objects.bulk_create(flagged, batch_size=500)
        batch.error_rows, batch.duplicate_rows = error_rows, duplicate_rows
        batch.row_count = progress.done
        batch.status = Status.PREVIEWED
        batch.previewed_at = timezone.now()
        batch.save()
    return {
        "import": batch.pk,
        "rows": progress.done,
        "error_rows": error_rows,
        "duplicate_rows": duplicate_rows,
        "message": _(
            "%(rows)s rows checked: %(errors)s with errors, %(duplicates)s likely duplicates."
        )
        % {"rows": progress.done, "errors": error_rows, "duplicates": duplicate_rows},
    }


def run_apply(job: Job, batch_id: int) -> dict[str, Any]:
    """The apply job: every row through the create service in one transaction, or none."""
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    try:
        return _apply(job, batch)
    except jobs.JobFailed:
        raise
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk, status=Status.APPLYING).update(
            status=Status.PREVIEWED
        )
        raise


def _apply(job: Job, batch: ImportBatch) -> dict[str, Any]:
    actor = batch.created_by
    data_type = get_type(batch.object_type)
    try:
        core.require_action(actor, data_type.key, Action.CREATE)
    except PermissionDenied as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(status=Status.PREVIEWED)
        raise jobs.JobFailed(str(exc)) from exc
    flagged = {row.row_number: row for row in batch.rows.all()}
    builder = RowBuilder(data_type, actor)
    created: list[int] = []
    skipped = 0
    bad: dict[int, tuple[dict[str, str], dict[str, list[str]]]] = {}

    def rows_to_import() -> Iterator[tuple[int, dict[str, str]]]:
        nonlocal skipped
        with _batch_rows(batch) as rows:
            for number, values in rows:
                progress.tick()
                mark = flagged.get(number)
                if mark is not None and mark.skipped:
                    skipped += 1
                    continue
                yield number, values

    if data_type.create_bulk is not None:
        # Every row is checked first, outside any transaction; the transaction then only
        # writes, in bulk, so other users' writes wait for moments (SQLite has one writer).
        progress = _Progress(job, batch.row_count, _("Checked %(done)s of %(total)s rows"))
        ready: list[BuiltRow] = []
        for number, values in rows_to_import():
            built = builder.build(values)
            if built.errors:
                bad[number] = (values, built.errors)
            else:
                ready.append(built)
        if not bad:
            jobs.report_progress(job, 99, _("Writing %(count)s records…") % {"count": len(ready)})
            with transaction.atomic():
                created = [record.pk for record in builder.create_all(ready)] if ready else []
                _mark_applied(batch, actor, data_type, created, skipped)
    else:
        progress = _Progress(job, batch.row_count, _("Imported %(done)s of %(total)s rows"))
        with transaction.atomic():
            for number, values in rows_to_import():
                built = builder.convert(values)
                if not built.errors:
                    _create_one(builder, built)
                if built.errors:
                    bad[number] = (values, built.errors)
                else:
                    created.append(built.instance.pk)
            if bad:
                # All or none: one bad row and nothing of the file is written.
                transaction.set_rollback(True)
            else:
                _mark_applied(batch, actor, data_type, created, skipped)
    if bad:
        _record_failure(batch, bad)
        raise jobs.JobFailed(
            ngettext(
                "Nothing was imported: %(count)s row has errors.",
                "Nothing was imported: %(count)s rows have errors.",
                len(bad),
            )
            % {"count": len(bad)},
            {
                "import": batch.pk,
                "error_rows": len(bad),
                "rows": [
                    {"row": number, "errors": errors}
                    for number, (_values, errors) in sorted(bad.items())
                ][:100],
            },
        )
    # The uploaded file holds personal data that is in the database now; do not keep a copy.
    batch.file.delete(save=True)
    return {
        "import": batch.pk,
        "created": len(created),
        "skipped": skipped,
        "message": ngettext(
            "%(count)s record imported.", "%(count)s records imported.", len(created)
        )
        % {"count": len(created)}
        + (" " + _("%(skipped)s duplicates skipped.") % {"skipped": skipped} if skipped else ""),
    }


def _mark_applied(
    batch: ImportBatch, actor: Any, data_type: DataType, created: list[int], skipped: int
) -> None:
    """In the transaction that wrote the records: the import is applied, with what it made."""
    batch.status = Status.APPLIED
    batch.created_count, batch.skipped_count = len(created), skipped
    batch.created_ids = created
    batch.applied_at = timezone.now()
    batch.save()
    events.emit(
        "import.applied",
        batch,
        actor,
        object_type=data_type.key,
        created=len(created),
        skipped=skipped,
    )


def _create_one(builder: RowBuilder, built: BuiltRow) -> None:
    """One row through the create service; its refusal becomes the row's errors."""
    try:
        built.instance = builder.create(built)
    except (ValidationError, PermissionDenied) as exc:
        field = "owner" if built.owner != "actor" else "__all__"
        for name, messages in messages_of(exc, field).items():
            for message in messages:
                built.add_error(name, message)


@transaction.atomic
def _record_failure(
    batch: ImportBatch, bad: Mapping[int, tuple[dict[str, str], dict[str, list[str]]]]
) -> None:
    """Flag every row the apply refused (keeping duplicate flags and decisions)."""
    existing = {row.row_number: row for row in batch.rows.all()}
    for row in existing.values():
        if row.errors and row.row_number not in bad:
            row.errors = {}
            row.save(update_fields=["errors"])
    new_rows = []
    for number, (values, errors) in bad.items():
        if number in existing:
            existing[number].errors = errors
            existing[number].save(update_fields=["errors"])
        else:
            new_rows.append(ImportRow(batch=batch, row_number=number, values=values, errors=errors))
    ImportRow.objects.bulk_create(new_rows, batch_size=500)
    batch.error_rows = batch.rows.exclude(errors={}).count()
    batch.status = Status.FAILED
    batch.save(update_fields=["error_rows", "status"])


def purge_old_files(days: int | None = None) -> int:
    """Delete the stored files of imports left unfinished and of exports older than ``days``.

    Both hold personal data that should not outlive its use; the import and export entries
    themselves (the audit trail) stay. Returns how many files were deleted.
    """
    days = int(getattr(settings, "GUANXI_DATA_FILES_DAYS", 7)) if days is None else days
    limit = timezone.now() - dt.timedelta(days=days)
    count = 0
    for batch in ImportBatch.objects.filter(created_at__lt=limit).exclude(file=""):
        batch.file.delete(save=True)
        count += 1
    for export in Export.objects.filter(created_at__lt=limit).exclude(file=""):
        export.file.delete(save=True)
        count += 1
    return count


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------

# Parameters of a list page that are not filters.
_NOT_FILTERS = {"page", "page_size", "format", "columns", "partial", "view", "file_format"}


def filter_query(params: QueryDict | Mapping[str, Any]) -> str:
    """The filter part of a list's query string, as the export's audit entry keeps it."""
    query = QueryDict(mutable=True)
    for key in params:
        if key in _NOT_FILTERS:
            continue
        values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
        if isinstance(values, str):
            values = [values]
        query.setlist(key, [str(v) for v in values if str(v) != ""])
    return query.urlencode()


def _ordering(data_type: DataType, value: str) -> list[str]:
    names = {f.name for f in data_type.model._meta.concrete_fields}
    order = []
    for item in (value or "").split(","):
        item = item.strip()
        if item.lstrip("-") in names:
            order.append(item)
    return order


def export_queryset(actor: Any, data_type: DataType, query: str) -> models.QuerySet:
    """What the list page shows for ``query``: same FilterSet, same visibility, same order."""
    core.require_action(actor, data_type.key, Action.EXPORT)
    params = QueryDict(query)
    visible = data_type.model.objects.visible_to(actor)
    filterset = data_type.filterset(data=params, queryset=visible)
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    queryset = filterset.qs
    order = _ordering(data_type, params.get("ordering") or params.get("sort") or "")
    if order:
        queryset = queryset.order_by(*order, "pk")
    return queryset.select_related(*data_type.export_select_related).prefetch_related(
        *data_type.export_prefetch_related
    )


def create_export(
    actor: Any, object_type: str, file_format: str, params: QueryDict | Mapping[str, Any]
) -> Export:
    """Record an export of the filtered list (needs the ``export`` right) and start it.

    Up to :func:`export_sync_rows` rows the caller writes the rows at once
    (:func:`export_chunks` / :func:`export_xlsx_bytes`); above, a job writes a file.
    """
    data_type = get_type(object_type)
    if file_format not in Export.Format.values:
        raise ValidationError({"file_format": _("Choose CSV or XLSX.")})
    query = filter_query(params)
    count = export_queryset(actor, data_type, query).count()
    with transaction.atomic():
        export = Export.objects.create(
            object_type=data_type.key,
            file_format=file_format,
            query=query,
            row_count=count,
            created_by=actor,
            request_id=current_request_id(),
        )
        events.emit(
            "export.created",
            export,
            actor,
            object_type=data_type.key,
            file_format=file_format,
            filters=query,
            rows=count,
        )
        if count > export_sync_rows():
            export.job = jobs.start_job(
                actor,
                "export",
                "guanxi.dataio.tasks.export_file",
                export.pk,
                message=_("Writing the file…"),
            )
            export.save(update_fields=["job"])
    return export


def export_file_name(export: Export) -> str:
    data_type = get_type(export.object_type)
    stamp = timezone.localtime(export.created_at).strftime("%Y%m%d-%H%M")
    return f"{data_type.plural}-{stamp}.{export.file_format}"


@contextmanager
def _as_user(actor: Any) -> Iterator[None]:
    """The actor's language and time zone, for work done outside their request."""
    try:
        zone: Any = zoneinfo.ZoneInfo(getattr(actor, "time_zone", "") or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    language = getattr(actor, "language", "") or translation.get_language()
    with translation.override(language), timezone.override(zone):
        yield


def export_chunks(actor: Any, export: Export) -> Iterator[bytes]:
    """The CSV of a small export, in chunks, for a streaming response."""
    data_type = get_type(export.object_type)
    with _as_user(actor):
        header = exports.header_row(data_type)
    queryset = export_queryset(actor, data_type, export.query)

    def generate() -> Iterator[bytes]:
        # A streamed body is produced after the view returned: pin language and time zone.
        with _as_user(actor):
            yield from exports.csv_chunks(header, exports.iter_rows(data_type, queryset))

    return generate()


def export_xlsx_bytes(actor: Any, export: Export) -> bytes:
    import io

    data_type = get_type(export.object_type)
    buffer = io.BytesIO()
    with _as_user(actor):
        queryset = export_queryset(actor, data_type, export.query)
        exports.write_xlsx(
            data_type, exports.header_row(data_type), exports.iter_rows(data_type, queryset), buffer
        )
    return buffer.getvalue()


def run_export(job: Job, export_id: int) -> dict[str, Any]:
    """The export job: write the file of a large export and keep it for download."""
    export = Export.objects.select_related("created_by").get(pk=export_id)
    actor = export.created_by
    data_type = get_type(export.object_type)
    total = max(export.row_count, 1)
    count = 0

    def progress(done: int) -> None:
        jobs.report_progress(
            job,
            min(99, done * 100 // total),
            _("Wrote %(done)s of %(total)s rows") % {"done": done, "total": total},
        )

    def counted(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            if count % exports.CHUNK_ROWS == 0:
                progress(count)
            yield row

    # A temporary file, not memory: a large export may be hundreds of megabytes.
    with _as_user(actor), tempfile.TemporaryFile() as scratch:
        queryset = export_queryset(actor, data_type, export.query)
        header = exports.header_row(data_type)
        rows = counted(exports.iter_rows(data_type, queryset))
        if export.file_format == Export.Format.XLSX:
            exports.write_xlsx(data_type, header, rows, scratch)
        else:
            for chunk in exports.csv_chunks(header, rows):
                scratch.write(chunk)
        scratch.seek(0)
        export.file.save(f"{uuid.uuid4().hex}.{export.file_format}", File(scratch), save=False)
    export.row_count = count
    export.save(update_fields=["file", "row_count"])
    return {
        "export": export.pk,
        "rows": count,
        "message": ngettext("%(count)s row exported.", "%(count)s rows exported.", count)
        % {"count": count},
    }
