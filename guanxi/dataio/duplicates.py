"""Likely duplicates of an imported row: among the rows above it and among visible records.

Within the file, rows are compared on the type's :class:`~.registry.DuplicateRule` keys.
Against existing records, a type may bring its own finder (accounts use
``customers.selectors.likely_duplicates``, the one the "Find duplicates" page uses); otherwise
the rules are looked up one indexed query each. Only records the importing user can see are
compared, so the preview never reveals a record they may not see.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext as _

from guanxi.core.search import search_filter

from .registry import DataType, DuplicateRule

_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def simple_normalise(text: str) -> str:
    """Case, width, spaces and punctuation ignored."""
    return _NON_ALNUM.sub("", unicodedata.normalize("NFKC", text or "").casefold())


def digits_of(value: str) -> str:
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def _reason(data_type: DataType, rule: DuplicateRule) -> str:
    if rule.match == "name":
        return _("near-same %(field)s") % {"field": data_type.field_label(rule.field).lower()}
    return _("same %(field)s") % {"field": data_type.field_label(rule.field).lower()}


def rule_key(rule: DuplicateRule, instance: Any) -> Any:
    """The value rows must share to match under ``rule``; None when the row has none."""
    value = getattr(instance, rule.field, "") or ""
    if rule.match == "phone":
        key: Any = digits_of(str(value))
        if len(key) < 5:
            return None
    elif rule.match == "name":
        normalise = rule.normalise or simple_normalise
        key = normalise(str(value))
    else:
        key = str(value).strip()
    if not key:
        return None
    if rule.scope:
        return (getattr(instance, f"{rule.scope}_id", None), key)
    return key


class DuplicateFinder:
    """Feed it the rows of a file in order; each answers its likely duplicates."""

    def __init__(self, data_type: DataType, actor: Any) -> None:
        self.data_type = data_type
        self.actor = actor
        self.seen: dict[tuple[str, Any], int] = {}

    def check(self, row_number: int, instance: Any) -> list[dict[str, Any]]:
        matches = self.in_file(row_number, instance)
        matches.extend(self.existing(instance))
        return matches

    def in_file(self, row_number: int, instance: Any) -> list[dict[str, Any]]:
        by_row: dict[int, list[str]] = {}
        for rule in self.data_type.duplicate_rules:
            key = rule_key(rule, instance)
            if key is None:
                continue
            first = self.seen.setdefault((rule.field, key), row_number)
            if first != row_number:
                reasons = by_row.setdefault(first, [])
                reason = _reason(self.data_type, rule)
                if reason not in reasons:
                    reasons.append(reason)
        return [{"row": row, "reasons": reasons} for row, reasons in sorted(by_row.items())]

    def existing(self, instance: Any) -> list[dict[str, Any]]:
        if self.data_type.find_duplicates is not None:
            return self.data_type.find_duplicates(self.actor, instance)
        found: dict[int, dict[str, Any]] = {}
        visible = self.data_type.model.objects.visible_to(self.actor)
        for rule in self.data_type.duplicate_rules:
            key = rule_key(rule, instance)
            if key is None:
                continue
            candidates = visible
            if rule.scope:
                scope_id, key = key
                candidates = candidates.filter(**{f"{rule.scope}_id": scope_id})
            if rule.match == "exact":
                hits = list(candidates.filter(**{rule.field: key})[:10])
            else:
                query = key if rule.match == "phone" else str(getattr(instance, rule.field))
                hits = [
                    obj
                    for obj in search_filter(candidates, query)[:30]
                    if rule_key(rule, obj) == rule_key(rule, instance)
                ]
            for obj in hits:
                entry = found.setdefault(
                    obj.pk, {"object_id": obj.pk, "label": str(obj), "reasons": []}
                )
                reason = _reason(self.data_type, rule)
                if reason not in entry["reasons"]:
                    entry["reasons"].append(reason)
        return list(found.values())
