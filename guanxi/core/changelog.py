"""The change log: field-level before/after entries written by services, never by signals."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from .context import current_request_id
from .models import ChangeAction, ChangeLogEntry

SKIPPED_FIELDS = {
    "version",
    "updated_at",
    "updated_by",
    "search_tokens",
    "name_pinyin",
    "name_initials",
    "deletion_batch",
}


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Concrete field values of ``obj`` as the change log stores them (foreign keys as ids)."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in SKIPPED_FIELDS or field.primary_key:
            continue
        values[field.name] = _plain(getattr(obj, field.attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as ``{field: [before, after]}``."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def entry_for(
    actor: Any,
    obj: models.Model,
    action: str,
    changes: Mapping[str, Any] | None = None,
    parent: models.Model | None = None,
) -> ChangeLogEntry:
    if parent is None:
        parent = obj.log_parent() if hasattr(obj, "log_parent") else None
    return ChangeLogEntry(
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        object_repr=str(obj)[:300],
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_repr=str(actor)[:200] if actor is not None else "",
        request_id=current_request_id(),
        changes=dict(changes or {}),
        parent_type=parent._meta.model_name if parent is not None else "",
        parent_id=parent.pk if parent is not None else None,
    )


def log_change(
    actor: Any,
    obj: models.Model,
    action: str,
    changes: Mapping[str, Any] | None = None,
    parent: models.Model | None = None,
) -> ChangeLogEntry:
    """Append one entry; call inside the service's transaction."""
    entry = entry_for(actor, obj, action, changes, parent)
    entry.save()
    return entry


def log_bulk(
    actor: Any, objs: Iterable[models.Model], action: str, changes: Mapping[int, Any] | None = None
) -> list[ChangeLogEntry]:
    """Append one entry per object with a single INSERT (bulk operations log too)."""
    entries = [entry_for(actor, obj, action, (changes or {}).get(obj.pk)) for obj in objs]
    return ChangeLogEntry.objects.bulk_create(entries, batch_size=1000)


def created_changes(obj: models.Model) -> dict[str, list[Any]]:
    return {
        name: [None, value]
        for name, value in snapshot(obj).items()
        if value not in ("", None) and name not in {"created_at", "created_by"}
    }


__all__ = ["ChangeAction", "created_changes", "diff", "log_bulk", "log_change", "snapshot"]
