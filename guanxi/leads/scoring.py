"""The one qualification standard: every lead is scored by the same administrator-set rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .models import Lead, LeadScoringRule, ScoringOperator


@dataclass(frozen=True)
class ScoreLine:
    rule_id: int
    rule: str
    points: int
    times: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "rule": self.rule,
            "points": self.points,
            "times": self.times,
        }


def _field_value(lead: Lead, field: str) -> Any:
    if field == "campaign":
        return str(lead.campaign_id or "")
    return getattr(lead, field, "")


def field_rule_matches(rule: LeadScoringRule, lead: Lead) -> bool:
    """Whether a field rule's condition holds for the lead (text compared case-insensitively)."""
    raw = _field_value(lead, rule.field)
    text = "" if raw is None else str(raw).strip().lower()
    target = (rule.value or "").strip().lower()
    op = rule.operator
    if op == ScoringOperator.IS_SET:
        return text != ""
    if op == ScoringOperator.IS_EMPTY:
        return text == ""
    if op == ScoringOperator.EQUALS:
        return text == target
    if op == ScoringOperator.NOT_EQUALS:
        return text != target
    if op == ScoringOperator.CONTAINS:
        return target != "" and target in text
    if op == ScoringOperator.IN:
        return text in {item.strip() for item in target.replace("，", ",").split(",")}
    if op in (ScoringOperator.GTE, ScoringOperator.LTE):
        try:
            number, limit = Decimal(text), Decimal(target)
        except (InvalidOperation, ValueError):
            return False
        return number >= limit if op == ScoringOperator.GTE else number <= limit
    return False


def score_lead(
    lead: Lead, rules: Iterable[LeadScoringRule], behaviour_counts: Counter[str] | None = None
) -> tuple[int, list[ScoreLine]]:
    """Total score and the lines that make it up, so each lead shows why it has its score."""
    counts = behaviour_counts or Counter()
    lines: list[ScoreLine] = []
    for rule in rules:
        if not rule.is_active:
            continue
        if rule.kind == LeadScoringRule.Kind.FIELD:
            if field_rule_matches(rule, lead):
                lines.append(ScoreLine(rule.pk, rule.name, rule.points))
        else:
            times = min(counts.get(rule.behaviour, 0), max(rule.max_times, 1))
            if times:
                lines.append(ScoreLine(rule.pk, rule.name, rule.points * times, times))
    return sum(line.points for line in lines), lines
