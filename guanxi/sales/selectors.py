"""Reads for the kanban board, the forecast and sales velocity."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter

from .models import Opportunity, Pipeline, Stage, StageHistory, StageKind

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=24, decimal_places=2)


def weighted_expression() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("amount") * F("probability") / Value(Decimal(100)), output_field=MONEY
    )


@dataclass
class KanbanColumn:
    stage: Stage
    count: int
    totals: dict[str, Decimal]  # per currency
    cards: list[Opportunity] = field(default_factory=list)


def kanban(
    user: Any, pipeline: Pipeline, queryset: QuerySet | None = None, per_stage: int = 30
) -> list[KanbanColumn]:
    """Columns of a pipeline's board: per stage the count, the sum per currency, top cards.

    Two aggregate queries and one query per stage for its cards, whatever the number of
    opportunities: the board stays fast at 100,000 open deals.
    """
    qs = queryset if queryset is not None else Opportunity.objects.visible_to(user)
    qs = qs.filter(pipeline=pipeline)
    stages = list(pipeline.stages.order_by("order"))
    counts = dict(qs.values_list("stage").annotate(n=Count("pk")).order_by())
    totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for stage_id, currency, total in (
        qs.values_list("stage", "currency").annotate(total=Sum("amount")).order_by()
    ):
        totals[stage_id][currency] = total or ZERO
    columns = []
    for stage in stages:
        cards = list(
            qs.filter(stage=stage)
            .select_related("account", "owner")
            .order_by("-amount", "pk")[:per_stage]
        )
        columns.append(
            KanbanColumn(stage, counts.get(stage.pk, 0), totals.get(stage.pk, {}), cards)
        )
    return columns


@dataclass
class ForecastRow:
    period: dt.date
    owner_id: int | None
    team_id: int | None
    currency: str
    category: str
    count: int
    amount: Decimal
    weighted: Decimal


def forecast(
    user: Any,
    *,
    start: dt.date,
    end: dt.date,
    period: str = "month",
    group_by: str = "owner",
    queryset: QuerySet | None = None,
) -> list[ForecastRow]:
    """Open and won deals expected to close in [start, end], per period, rep or team, currency
    and forecast category, with the amount and the probability-weighted amount."""
    qs = queryset if queryset is not None else Opportunity.objects.visible_to(user)
    qs = qs.filter(expected_close_date__gte=start, expected_close_date__lte=end).exclude(
        stage__kind=StageKind.LOST
    )
    trunc = TruncQuarter if period == "quarter" else TruncMonth
    key = "team" if group_by == "team" else "owner"
    rows = (
        qs.annotate(period=trunc("expected_close_date"))
        .values("period", key, "currency", "forecast_category")
        .annotate(
            count=Count("pk"),
            total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY),
            weighted=Coalesce(Sum(weighted_expression()), Value(ZERO), output_field=MONEY),
        )
        .order_by("period", key, "currency", "forecast_category")
    )
    result = []
    for row in rows:
        period_value = row["period"]
        if isinstance(period_value, dt.datetime):
            period_value = period_value.date()
        result.append(
            ForecastRow(
                period=period_value,
                owner_id=row[key] if key == "owner" else None,
                team_id=row[key] if key == "team" else None,
                currency=row["currency"],
                category=row["forecast_category"],
                count=row["count"],
                amount=Decimal(row["total"]).quantize(Decimal("0.01")),
                weighted=Decimal(row["weighted"]).quantize(Decimal("0.01")),
            )
        )
    return result


def stage_velocity(user: Any, pipeline: Pipeline) -> list[dict[str, Any]]:
    """Average and count of days spent in each stage by the visible opportunities."""
    visible = Opportunity.objects.visible_to(user).filter(pipeline=pipeline)
    history = StageHistory.objects.filter(
        opportunity__in=visible.values("pk"), left_at__isnull=False
    )
    per_stage: dict[int, list[float]] = defaultdict(list)
    for stage_id, entered, left in history.values_list("stage", "entered_at", "left_at"):
        per_stage[stage_id].append((left - entered).total_seconds() / 86400)
    return [
        {
            "stage": stage,
            "count": len(per_stage[stage.pk]),
            "average_days": round(sum(per_stage[stage.pk]) / len(per_stage[stage.pk]), 1)
            if per_stage[stage.pk]
            else None,
        }
        for stage in pipeline.stages.order_by("order")
    ]
