"""Reading an uploaded table: CSV in UTF-8 (with or without BOM) or GB18030/GBK, or XLSX.

Excel in China saves "CSV" in the ANSI code page, GBK; GB18030 decodes GBK and every other
Chinese text, so a file that is not valid UTF-8 is read as GB18030.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


@dataclass
class TableInfo:
    file_format: str
    encoding: str
    headers: list[str]
    sample_rows: list[list[str]]
    row_count: int


def detect_format(name: str, head: bytes) -> str:
    """``"csv"`` or ``"xlsx"`` from the file's first bytes (and its name for a plain text)."""
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC) or name.lower().endswith(".xls"):
        raise ValidationError(
            {"file": _("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or .csv.")}
        )
    if name.lower().endswith((".csv", ".txt", ".tsv")) or b"\x00" not in head[:4096]:
        return "csv"
    raise ValidationError({"file": _("Upload a CSV or an Excel (.xlsx) file.")})


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in."""
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM) :].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ValidationError(
            {"file": _("The file's text encoding is not UTF-8 or GBK; save it as UTF-8 CSV.")}
        ) from exc


def cell_text(value: Any) -> str:
    """A cell as text the way a person reads it (Excel keeps phone numbers as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(text: str) -> Iterator[list[str]]:
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text, newline=""), dialect)


def _xlsx_rows(path: Path | IO[bytes]) -> Iterator[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ValidationError({"file": _("This Excel file cannot be read.")}) from exc
    except Exception as exc:  # a damaged zip raises zipfile.BadZipFile and friends
        raise ValidationError({"file": _("This Excel file cannot be read.")}) from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


@contextmanager
def open_rows(
    path: Path, file_format: str, encoding: str = ""
) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """The headers of a stored file and an iterator of ``(row number, cells)`` for its data.

    Row numbers are the spreadsheet's (the header is row 1); blank rows are left out.
    """
    if file_format == "xlsx":
        raw_rows: Iterator[list[Any]] = _xlsx_rows(path)
    else:
        data = Path(path).read_bytes()
        if encoding and encoding not in ("utf-8-sig", "utf-16"):
            text = data.decode(encoding)
        else:
            text, _encoding = decode_text(data)
        raw_rows = _csv_rows(text)
    try:
        headers: list[str] = []
        header_row = 0
        for number, row in enumerate(raw_rows, start=1):
            cells = [cell_text(value) for value in row]
            if any(cells):
                headers, header_row = cells, number
                break
        headers = [h or _("Column %(number)s") % {"number": i + 1} for i, h in enumerate(headers)]

        def data_rows() -> Iterator[tuple[int, list[str]]]:
            for number, row in enumerate(raw_rows, start=header_row + 1):
                cells = [cell_text(value) for value in row]
                if any(cells):
                    yield number, cells

        yield headers, data_rows()
    finally:
        close = getattr(raw_rows, "close", None)
        if close:
            close()


def inspect_table(path: Path, name: str, max_rows: int, samples: int = 5) -> TableInfo:
    """Format, encoding, headers, the first rows and the number of rows of an uploaded file."""
    with open(path, "rb") as handle:
        head = handle.read(8192)
    file_format = detect_format(name, head)
    encoding = ""
    if file_format == "csv":
        _text, encoding = decode_text(Path(path).read_bytes())
    with open_rows(path, file_format, encoding) as (headers, rows):
        if not headers:
            raise ValidationError({"file": _("The file is empty.")})
        sample: list[list[str]] = []
        count = 0
        for _number, cells in rows:
            count += 1
            if count > max_rows:
                raise ValidationError(
                    {
                        "file": _("The file has more than %(max)s rows; split it into parts.")
                        % {"max": max_rows}
                    }
                )
            if len(sample) < samples:
                sample.append(cells)
    if count == 0:
        raise ValidationError({"file": _("The file has a header row but no data rows.")})
    return TableInfo(file_format, encoding, headers, sample, count)
