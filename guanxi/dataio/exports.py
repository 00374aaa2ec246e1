"""Writing a queryset as CSV (UTF-8 with BOM, streamed) or XLSX (openpyxl, write-only).

Cells are what a person reads on the list page: choice labels, names of related records,
times in the user's time zone. Headers are the fields' names in the user's language, which
the import's mapping recognises, so an exported file can be imported again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from .registry import DataType

UTF8_BOM = "\ufeff"
CHUNK_ROWS = 2000
# A cell starting like a formula is run by Excel when the file is opened (CSV injection).
_FORMULA = re.compile(r"^[=@\t\r]|^[+\-](?![\d\s().\-+]*$)")


def header_row(data_type: DataType) -> list[str]:
    labels = []
    for name in data_type.columns():
        labels.append("ID" if name == "id" else data_type.field_label(name))
    return labels


def _cell(data_type: DataType, obj: Any, name: str) -> Any:
    if name == "id":
        return obj.pk
    try:
        model_field = data_type.model_field(name)
    except FieldDoesNotExist:
        value = getattr(obj, name, "")
        return value() if callable(value) else value
    if model_field.many_to_many:
        return ", ".join(sorted(str(item) for item in getattr(obj, name).all()))
    if model_field.is_relation:
        related = getattr(obj, name)
        return str(related) if related is not None else ""
    value = getattr(obj, model_field.attname)
    if model_field.choices and value not in (None, ""):
        return str(getattr(obj, f"get_{name}_display")())
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return "" if value is None else value


def iter_rows(data_type: DataType, queryset: models.QuerySet) -> Iterator[list[Any]]:
    """The data rows of an export, read in chunks so memory stays flat for any size."""
    names = data_type.columns()
    for obj in queryset.iterator(chunk_size=CHUNK_ROWS):
        yield [_cell(data_type, obj, name) for name in names]


def csv_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def csv_chunks(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """CSV as bytes, BOM first so Excel opens Chinese as UTF-8, in chunks of about 64 KB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(UTF8_BOM)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
        if buffer.tell() > 65536:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(
    data_type: DataType,
    header: list[str],
    rows: Iterable[list[Any]],
    target: Any,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write an XLSX workbook to ``target`` (a path or a binary file); the number of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "", data_type.label_plural)[:31])
    bold = Font(bold=True)
    head = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                # Text stays text: "=…" is not turned into a formula, "0571…" keeps its zero.
                cell.data_type = "s"
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
        count += 1
        if progress is not None and count % CHUNK_ROWS == 0:
            progress(count)
    workbook.save(target)
    return count
