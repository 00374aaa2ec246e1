"""Reads for the kanban board, the forecast and sales velocity."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import (
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    QuerySet,
    Sum,
    Value,
)
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


def stage_totals(queryset: QuerySet) -> dict[int, tuple[int, dict[str, Decimal]]]:
    """Per stage id: how many opportunities of ``queryset`` and their sum per currency.

    One pass over the rows (count and sum per stage and currency; a stage's count is the sum
    of its currencies' counts): at 100,000 deals each pass is tens of milliseconds.
    """
    counts: dict[int, int] = defaultdict(int)
    totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for stage_id, currency, n, total in (
        queryset.values_list("stage", "currency")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        counts[stage_id] += n
        totals[stage_id][currency] = total or ZERO
    return {
        stage_id: (counts[stage_id], dict(sorted(totals[stage_id].items()))) for stage_id in counts
    }


def kanban_cards(queryset: QuerySet, stage: Stage, offset: int = 0, limit: int = 30) -> list[Any]:
    """One column's cards, biggest deals first; ``offset`` pages on ("load more").

    The index ``opp_board_cards`` (stage, amount descending, id; live rows) gives them in
    order, so a column of 25,000 deals reads its first cards without sorting the column.
    """
    return list(
        queryset.filter(stage=stage)
        .select_related("account", "owner")
        .order_by("-amount", "pk")[offset : offset + limit]
    )


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
    summary = stage_totals(qs)
    columns = []
    for stage in stages:
        count, totals = summary.get(stage.pk, (0, {}))
        cards = kanban_cards(qs, stage, 0, per_stage) if count else []
        columns.append(KanbanColumn(stage, count, totals, cards))
    return columns


def period_start(field_name: str, period: str, using: str) -> Any:
    """The first day of the month or quarter of a date column, as a date.

    On PostgreSQL ``date_trunc`` of the date cast to ``timestamp`` (Django's ``TruncMonth``
    lets it become a ``timestamptz``, converted per row in the session's time zone and parsed
    back per row in Python, a third of the forecast's time at 100,000 deals).
    """
    if connections[using].vendor == "postgresql":
        unit = "quarter" if period == "quarter" else "month"
        return Func(
            F(field_name),
            template=f"(DATE_TRUNC('{unit}', %(expressions)s::timestamp))::date",
            output_field=DateField(),
        )
    trunc = TruncQuarter if period == "quarter" else TruncMonth
    return trunc(field_name)


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
    key = "team" if group_by == "team" else "owner"
    rows = (
        qs.annotate(period=period_start("expected_close_date", period, qs.db))
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


# --------------------------------------------------------------------------------------------
# the forecast as a table
# --------------------------------------------------------------------------------------------

FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")


@dataclass
class ForecastLine:
    """One row of the forecast table: a period, a rep or team, a currency."""

    period: dt.date
    group_id: int | None
    currency: str
    amounts: dict[str, Decimal]  # per forecast category
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO


def forecast_table(rows: list[ForecastRow]) -> tuple[list[ForecastLine], dict[str, ForecastLine]]:
    """The forecast's rows pivoted by category, and the totals per currency.

    The totals are sums of the rows, which are sums of the opportunities: nothing is rounded
    or converted on the way (each currency adds up on its own).
    """
    lines: dict[tuple[Any, ...], ForecastLine] = {}
    totals: dict[str, ForecastLine] = {}
    for row in rows:
        group = row.owner_id if row.owner_id is not None else row.team_id
        key = (row.period, group, row.currency)
        line = lines.get(key)
        if line is None:
            line = lines[key] = ForecastLine(
                row.period, group, row.currency, dict.fromkeys(FORECAST_CATEGORIES, ZERO)
            )
        total = totals.get(row.currency)
        if total is None:
            total = totals[row.currency] = ForecastLine(
                row.period, None, row.currency, dict.fromkeys(FORECAST_CATEGORIES, ZERO)
            )
        for target in (line, total):
            target.amounts[row.category] = target.amounts.get(row.category, ZERO) + row.amount
            target.count += row.count
            target.amount += row.amount
            target.weighted += row.weighted
    return list(lines.values()), dict(sorted(totals.items()))


# --------------------------------------------------------------------------------------------
# sales velocity: win rate, deal size, cycle length
# --------------------------------------------------------------------------------------------


@dataclass
class PipelineSummary:
    won: int
    lost: int
    open: int
    win_rate: float | None  # won / (won + lost) of the deals closed in the period
    average_won: dict[str, Decimal]  # per currency
    average_cycle_days: float | None  # created → won
    stages: list[dict[str, Any]]


def pipeline_summary(
    user: Any,
    pipeline: Pipeline,
    *,
    start: dt.date,
    end: dt.date,
    queryset: QuerySet | None = None,
) -> PipelineSummary:
    """Deals of a pipeline closed in [start, end]: won, lost, win rate, average won amount per
    currency and average days from creation to the win; with the days spent per stage."""
    from django.db.models import Avg, Q

    qs = queryset if queryset is not None else Opportunity.objects.visible_to(user)
    qs = qs.filter(pipeline=pipeline)
    closed = qs.filter(closed_at__date__gte=start, closed_at__date__lte=end)
    counts = closed.aggregate(
        won=Count("pk", filter=Q(stage__kind=StageKind.WON)),
        lost=Count("pk", filter=Q(stage__kind=StageKind.LOST)),
    )
    won_qs = closed.filter(stage__kind=StageKind.WON)
    averages = {
        currency: Decimal(avg).quantize(Decimal("0.01"))
        for currency, avg in won_qs.values_list("currency")
        .annotate(avg=Avg("amount"))
        .order_by("currency")
        if avg is not None
    }
    cycles = [
        (closed_at - created_at).total_seconds() / 86400
        for created_at, closed_at in won_qs.values_list("created_at", "closed_at")
    ]
    decided = counts["won"] + counts["lost"]
    return PipelineSummary(
        won=counts["won"],
        lost=counts["lost"],
        open=qs.filter(stage__kind=StageKind.OPEN).count(),
        win_rate=round(counts["won"] / decided * 100, 1) if decided else None,
        average_won=averages,
        average_cycle_days=round(sum(cycles) / len(cycles), 1) if cycles else None,
        stages=stage_velocity(user, pipeline),
    )


# --------------------------------------------------------------------------------------------
# objections report
# --------------------------------------------------------------------------------------------


@dataclass
class ObjectionCount:
    key: Any
    count: int
    resolved: int

    @property
    def resolved_rate(self) -> float | None:
        return round(self.resolved / self.count * 100, 1) if self.count else None


@dataclass
class ObjectionReport:
    total: ObjectionCount
    by_type: list[ObjectionCount]
    by_owner: list[ObjectionCount]
    by_period: list[ObjectionCount]


def objection_report(
    user: Any,
    *,
    start: dt.date,
    end: dt.date,
    period: str = "month",
    queryset: QuerySet | None = None,
) -> ObjectionReport:
    """Objections raised in [start, end] that the user may see: how many, how many resolved,
    by type, by the rep who logged them and by month or quarter."""
    from django.db.models import Q

    from .models import Objection

    qs = queryset if queryset is not None else Objection.objects.visible_to(user)
    qs = qs.filter(raised_at__date__gte=start, raised_at__date__lte=end)
    resolved = Count("pk", filter=Q(resolved=True))

    def grouped(key: str, source: Any = None) -> list[ObjectionCount]:
        rows = (
            (qs.annotate(**{key: source}) if source is not None else qs)
            .values(key)
            .annotate(n=Count("pk"), r=resolved)
            .order_by(key)
        )
        result = []
        for row in rows:
            value = row[key]
            if isinstance(value, dt.datetime):
                value = value.date()
            result.append(ObjectionCount(value, row["n"], row["r"]))
        return result

    trunc = TruncQuarter if period == "quarter" else TruncMonth
    totals = qs.aggregate(n=Count("pk"), r=resolved)
    by_type = sorted(grouped("type"), key=lambda c: (-c.count, str(c.key)))
    by_owner = sorted(grouped("owner"), key=lambda c: (-c.count, c.key or 0))
    return ObjectionReport(
        total=ObjectionCount(None, totals["n"] or 0, totals["r"] or 0),
        by_type=by_type,
        by_owner=by_owner,
        by_period=grouped("period", trunc("raised_at")),
    )
