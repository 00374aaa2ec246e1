"""Which column fills which field: suggested from the headers, in English or Chinese."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from .registry import DataType

# Notes people add to a header: "手机号码（必填）", "Email *", "Phone (office)".
_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")
_NOISE = re.compile(r"[\s_\-:：*＊/\\.·,，、'\"’]+")


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _BRACKETS.sub("", text)
    return _NOISE.sub("", text)


def field_aliases(data_type: DataType, field_name: str) -> list[str]:
    """Names a header may give a field: its own, its verbose name in every language, aliases."""
    names = [field_name, field_name.replace("_", " ")]
    try:
        verbose = data_type.model_field(field_name).verbose_name
    except Exception:
        verbose = None
    if verbose is not None:
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.append(str(verbose))
    names.extend(data_type.field(field_name).aliases)
    return [alias for alias in dict.fromkeys(normalise_header(n) for n in names) if alias]


def suggest_mapping(data_type: DataType, headers: Sequence[str]) -> dict[str, str]:
    """``{column index: field}`` for the headers that name a field; each field used once.

    An exact match of a known name wins; otherwise the longest known name a header ends with
    ("联系人电话" → phone, "Company phone" → phone), as the head noun comes last in Chinese and
    in English headers alike.
    """
    aliases = {item.name: field_aliases(data_type, item.name) for item in data_type.fields}
    exact: dict[str, str] = {}
    for field_name, names in aliases.items():
        for name in names:
            exact.setdefault(name, field_name)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    normalised = [normalise_header(h) for h in headers]
    for index, header in enumerate(normalised):
        field_name = exact.get(header)
        if field_name and field_name not in used:
            mapping[str(index)] = field_name
            used.add(field_name)
    for index, header in enumerate(normalised):
        if str(index) in mapping or not header:
            continue
        best = ("", 0)
        for field_name, names in aliases.items():
            if field_name in used:
                continue
            for name in names:
                if len(name) >= 2 and header.endswith(name) and len(name) > best[1]:
                    best = (field_name, len(name))
        if best[0]:
            mapping[str(index)] = best[0]
            used.add(best[0])
    return dict(sorted(mapping.items(), key=lambda item: int(item[0])))


def clean_mapping(
    data_type: DataType, headers: Sequence[str], mapping: Mapping[str, str]
) -> dict[str, str]:
    """The mapping a user chose, checked: known columns and fields, each field once, required
    fields present."""
    known = {item.name for item in data_type.fields}
    cleaned: dict[str, str] = {}
    errors: list[str] = []
    seen: dict[str, str] = {}
    for raw_index, field_name in mapping.items():
        if not field_name:
            continue
        try:
            index = int(raw_index)
        except (TypeError, ValueError):
            errors.append(_("Unknown column %(column)s.") % {"column": raw_index})
            continue
        if not 0 <= index < len(headers):
            errors.append(_("Unknown column %(column)s.") % {"column": raw_index})
            continue
        if field_name not in known:
            errors.append(_("%(field)s cannot be imported.") % {"field": field_name})
            continue
        if field_name in seen:
            errors.append(
                _("Both “%(first)s” and “%(second)s” are mapped to %(field)s.")
                % {
                    "first": headers[int(seen[field_name])],
                    "second": headers[index],
                    "field": data_type.field_label(field_name),
                }
            )
            continue
        seen[field_name] = str(index)
        cleaned[str(index)] = field_name
    for field_name in data_type.required_fields():
        if field_name not in seen:
            errors.append(
                _("Choose the column for %(field)s; it is required.")
                % {"field": data_type.field_label(field_name)}
            )
    if errors:
        raise ValidationError({"mapping": errors})
    return dict(sorted(cleaned.items(), key=lambda item: int(item[0])))


def mapped_values(mapping: Mapping[str, str], cells: Sequence[str]) -> dict[str, str]:
    """``{field: cell text}`` of one row under ``mapping``."""
    values = {}
    for index, field_name in mapping.items():
        position = int(index)
        values[field_name] = cells[position].strip() if position < len(cells) else ""
    return values
