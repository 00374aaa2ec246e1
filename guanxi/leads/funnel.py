"""The lead funnel: lead → qualified → opportunity → won, by source, campaign, rep or period.

Counted over the leads a user may see (``Lead.objects.visible_to``) created in a date range:

- **qualified**: ``qualified_at`` is set, or the status is qualified or converted, or the lead
  was converted to an opportunity (so each stage is a subset of the one before);
- **opportunity**: ``converted_opportunity`` is set and that opportunity is not deleted;
- **won**: that opportunity's stage is a won stage.

Time to first contact is ``first_contacted_at − created_at`` in hours (average and median of
the leads contacted). Cost comes from campaigns whose cost is known: each lead of a campaign
carries an equal share of the campaign's cost (cost ÷ all the campaign's leads, whoever sees
them and whenever they came), so cost per lead is the campaign's real cost per lead, a group's
cost is the sum of its leads' shares, and cost per win is that sum over the group's won leads.
Amounts stay in their campaign's currency (one figure per currency, never converted).

Everything is computed by a few aggregate queries (``values().annotate()``) whatever the number
of leads: the groups and the total from the lead rows alone; opportunities and wins from the
converted leads only (the one join); the costed (group, campaign) pairs; the campaigns with a
cost; and each campaign's count of leads (cached for a few minutes).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.cache import cache
from django.db import connections, router
from django.db.models import Aggregate, Avg, Count, F, FloatField, Func, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.models import User
from guanxi.marketing.models import Campaign
from guanxi.sales.models import StageKind

from .models import Lead, LeadSource, LeadStatus

GROUPINGS = ("source", "campaign", "owner", "period")
PERIODS = ("month", "quarter")
CENT = Decimal("0.01")

# --------------------------------------------------------------------------------------------
# SQL building blocks
# --------------------------------------------------------------------------------------------


class HoursBetween(Func):
    """``later − earlier`` in hours, as a float (NULL when either is NULL)."""

    arity = 2
    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)::double precision",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        later, earlier = self.source_expressions
        later_sql, later_params = compiler.compile(later)
        earlier_sql, earlier_params = compiler.compile(earlier)
        return (
            f"((julianday({later_sql}) - julianday({earlier_sql})) * 24.0)",
            [*later_params, *earlier_params],
        )


class Median(Aggregate):
    """The median of non-NULL values: ``percentile_cont(0.5)`` on PostgreSQL, a registered
    aggregate on SQLite (see :func:`_prepare_connection`)."""

    function = "percentile_cont"
    name = "Median"
    output_field = FloatField()
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        return super().as_sql(
            compiler,
            connection,
            function="guanxi_median",
            template="%(function)s(%(expressions)s)",
            **extra,
        )


class _SqliteMedian:
    """SQLite aggregate behind :class:`Median` (nulls ignored, as in PostgreSQL)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def _prepare_connection(queryset: QuerySet) -> None:
    """SQLite has no median: register ours on the connection the query will use (cheap and
    idempotent, so it survives reconnections)."""
    connection = connections[queryset.db or router.db_for_read(Lead)]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_aggregate("guanxi_median", 1, _SqliteMedian)


# A lead that became an opportunity was qualified, even if that opportunity was deleted since.
QUALIFIED_Q = (
    Q(qualified_at__isnull=False)
    | Q(status__in=[LeadStatus.QUALIFIED, LeadStatus.CONVERTED])
    | Q(converted_opportunity__isnull=False)
)
OPPORTUNITY_Q = Q(
    converted_opportunity__isnull=False, converted_opportunity__deleted_at__isnull=True
)
WON_Q = Q(converted_opportunity__stage__kind=StageKind.WON)
#: How long a campaign's count of leads (the denominator of its cost per lead) is reused.
CAMPAIGN_COUNT_SECONDS = 300


def _lead_counts() -> dict[str, Any]:
    """The aggregates read from the lead rows alone (no join: the big scan stays narrow)."""
    hours = HoursBetween(F("first_contacted_at"), F("created_at"))
    return {
        "n_leads": Count("pk"),
        "n_qualified": Count("pk", filter=QUALIFIED_Q),
        "n_contacted": Count("pk", filter=Q(first_contacted_at__isnull=False)),
        "avg_hours": Avg(hours),
        "median_hours": Median(hours),
    }


def campaign_lead_counts(campaign_ids: list[int]) -> dict[int, int]:
    """How many live leads each campaign brought, whoever owns them and whenever they came
    (reused for :data:`CAMPAIGN_COUNT_SECONDS`: a count over a million leads is not redone on
    every page view)."""
    keys = {pk: f"guanxi:funnel:campaign-leads:{pk}" for pk in campaign_ids}
    cached = cache.get_many(list(keys.values()))
    counts = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [pk for pk in campaign_ids if pk not in counts]
    if missing:
        fresh = dict(
            Lead.objects.filter(campaign_id__in=missing)
            .values_list("campaign")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for pk in missing:
            counts[pk] = fresh.get(pk, 0)
        cache.set_many({keys[pk]: counts[pk] for pk in missing}, CAMPAIGN_COUNT_SECONDS)
    return counts


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


@dataclass
class FunnelRow:
    """One group of the funnel (or the total): counts per stage, rates, times and costs."""

    key: Any
    label: str
    leads: int = 0
    qualified: int = 0
    opportunities: int = 0
    won: int = 0
    contacted: int = 0
    avg_hours_to_contact: float | None = None
    median_hours_to_contact: float | None = None
    cost: dict[str, Decimal] = field(default_factory=dict)  # per currency
    costed_leads: dict[str, int] = field(default_factory=dict)  # leads carrying that cost
    costed_wins: dict[str, int] = field(default_factory=dict)

    @property
    def qualified_rate(self) -> float | None:
        """Per cent of leads that were qualified."""
        return _rate(self.qualified, self.leads)

    @property
    def opportunity_rate(self) -> float | None:
        """Per cent of qualified leads that became opportunities."""
        return _rate(self.opportunities, self.qualified)

    @property
    def win_rate(self) -> float | None:
        """Per cent of opportunities won."""
        return _rate(self.won, self.opportunities)

    @property
    def overall_rate(self) -> float | None:
        """Per cent of leads won."""
        return _rate(self.won, self.leads)

    @property
    def cost_per_lead(self) -> dict[str, Decimal]:
        return {
            currency: (amount / self.costed_leads[currency]).quantize(CENT, ROUND_HALF_UP)
            for currency, amount in self.cost.items()
            if self.costed_leads.get(currency)
        }

    @property
    def cost_per_win(self) -> dict[str, Decimal]:
        return {
            currency: (amount / self.costed_wins[currency]).quantize(CENT, ROUND_HALF_UP)
            for currency, amount in self.cost.items()
            if self.costed_wins.get(currency)
        }

    @property
    def stages(self) -> list[int]:
        return [self.leads, self.qualified, self.opportunities, self.won]

    def rounded_cost(self) -> dict[str, Decimal]:
        return {c: a.quantize(CENT, ROUND_HALF_UP) for c, a in sorted(self.cost.items())}

    @property
    def cost_lines(self) -> list[CostLine]:
        """Per currency: the cost, cost per lead and cost per win (None without a win)."""
        per_lead, per_win = self.cost_per_lead, self.cost_per_win
        return [
            CostLine(currency, amount, per_lead.get(currency), per_win.get(currency))
            for currency, amount in self.rounded_cost().items()
        ]


@dataclass
class CostLine:
    currency: str
    cost: Decimal
    per_lead: Decimal | None
    per_win: Decimal | None


@dataclass
class FunnelReport:
    group_by: str
    start: dt.date
    end: dt.date
    period: str
    rows: list[FunnelRow]
    total: FunnelRow

    @property
    def currencies(self) -> list[str]:
        return sorted(self.total.cost)


# --------------------------------------------------------------------------------------------
# the selector
# --------------------------------------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def funnel_queryset(
    user: Any,
    start: dt.date,
    end: dt.date,
    *,
    source: str | None = None,
    campaign: Any = None,
    owner: Any = None,
    team: Any = None,
) -> QuerySet:
    """The leads the funnel counts: visible to ``user``, created from ``start`` to ``end``
    (whole days, the current time zone), narrowed by the optional filters (a team includes the
    teams below it)."""
    qs = Lead.objects.visible_to(user).filter(
        created_at__gte=_day_start(start), created_at__lt=_day_start(end + dt.timedelta(days=1))
    )
    if source:
        qs = qs.filter(source=source)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if team is not None:
        qs = qs.filter(team__path__startswith=team.path)
    return qs


def _group_expression(group_by: str, period: str) -> tuple[str, Any]:
    if group_by == "period":
        trunc = TruncQuarter if period == "quarter" else TruncMonth
        return "group", trunc("created_at")
    return "group", F(group_by)


def period_label(day: dt.date, period: str) -> str:
    if period == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def _labels(user: Any, group_by: str, keys: list[Any], period: str) -> dict[Any, str]:
    if group_by == "source":
        names = dict(LeadSource.choices)
        return {k: str(names.get(k, k)) if k else _("No source") for k in keys}
    if group_by == "campaign":
        visible = dict(
            Campaign.objects.visible_to(user)
            .filter(pk__in=[k for k in keys if k])
            .values_list("pk", "name")
        )
        return {
            k: visible.get(k, _("Campaign #%(id)s") % {"id": k}) if k else _("No campaign")
            for k in keys
        }
    if group_by == "owner":
        people = {u.pk: str(u) for u in User.objects.filter(pk__in=[k for k in keys if k])}
        return {k: people.get(k, f"#{k}") if k else _("Unassigned") for k in keys}
    return {k: period_label(k, period) if k else "—" for k in keys}


def _as_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _fill(row: FunnelRow, values: dict[str, Any]) -> FunnelRow:
    row.leads = values["n_leads"] or 0
    row.qualified = values["n_qualified"] or 0
    row.contacted = values["n_contacted"] or 0
    avg, median = values["avg_hours"], values["median_hours"]
    row.avg_hours_to_contact = round(float(avg), 1) if avg is not None else None
    row.median_hours_to_contact = round(float(median), 1) if median is not None else None
    return row


def _add_outcomes(
    user: Any, grouped: QuerySet, rows: dict[Any, FunnelRow], total: FunnelRow
) -> None:
    """Opportunities and wins (only the converted leads are joined to their opportunity), and
    the campaign costs: each costed lead carries cost ÷ (the campaign's leads)."""
    wins: dict[tuple[Any, Any], int] = {}
    for item in (
        grouped.filter(OPPORTUNITY_Q)
        .values("group", "campaign")
        .annotate(n=Count("pk"), won=Count("pk", filter=WON_Q))
        .order_by()
    ):
        key = _as_date(item["group"])
        for row in (rows[key], total):
            row.opportunities += item["n"]
            row.won += item["won"]
        wins[(key, item["campaign"])] = item["won"]
    campaigns = {
        c["pk"]: c
        for c in Campaign.objects.visible_to(user)
        .filter(cost__isnull=False)
        .values("pk", "cost", "currency")
        .order_by()
    }  # a campaign the user may not see tells no cost
    if not campaigns:
        return
    pairs = list(
        grouped.filter(campaign__in=list(campaigns))
        .values("group", "campaign")
        .annotate(n=Count("pk"))
        .order_by()
    )
    all_leads = campaign_lead_counts(sorted({p["campaign"] for p in pairs}))
    for pair in pairs:
        campaign = campaigns[pair["campaign"]]
        key = _as_date(pair["group"])
        share = Decimal(campaign["cost"]) * pair["n"] / max(all_leads[pair["campaign"]], pair["n"])
        currency = campaign["currency"]
        for row in (rows[key], total):
            row.cost[currency] = row.cost.get(currency, Decimal(0)) + share
            row.costed_leads[currency] = row.costed_leads.get(currency, 0) + pair["n"]
            row.costed_wins[currency] = row.costed_wins.get(currency, 0) + wins.get(
                (key, pair["campaign"]), 0
            )


def funnel(
    user: Any,
    *,
    start: dt.date,
    end: dt.date,
    group_by: str = "source",
    period: str = "month",
    queryset: QuerySet | None = None,
) -> FunnelReport:
    """The funnel of the leads ``user`` may see created in [start, end], per ``group_by``
    (source, campaign, owner or period — the month or quarter of creation).

    ``queryset`` narrows the leads (see :func:`funnel_queryset`; it must already be visible
    to the user). Rows come with their counts per stage, conversion rates, hours to first
    contact and, where campaign costs are known, cost per lead and per win per currency.
    """
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {GROUPINGS}")
    period = period if period in PERIODS else "month"
    qs = queryset if queryset is not None else funnel_queryset(user, start, end)
    _prepare_connection(qs)
    name, expression = _group_expression(group_by, period)
    grouped = qs.annotate(**{name: expression})
    values = list(grouped.values(name).annotate(**_lead_counts()).order_by())
    labels = _labels(user, group_by, [_as_date(v[name]) for v in values], period)
    rows: dict[Any, FunnelRow] = {}
    for value in values:
        key = _as_date(value[name])
        rows[key] = _fill(FunnelRow(key, labels[key]), value)
    total = _fill(FunnelRow(None, _("Total")), qs.aggregate(**_lead_counts()))
    if rows:
        _add_outcomes(user, grouped, rows, total)
    if group_by == "period":
        ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.key or dt.date.min))
    else:
        ordered = sorted(rows.values(), key=lambda r: (-r.leads, r.key is None, str(r.label)))
    return FunnelReport(group_by, start, end, period, ordered, total)


def chart_data(report: FunnelReport) -> dict[str, Any]:
    """What the page's ECharts funnel draws: the total's stages, and each group's counts."""
    stage_names = [_("Leads"), _("Qualified"), _("Opportunities"), _("Won")]
    return {
        "stages": [str(s) for s in stage_names],
        "total": report.total.stages,
        "groups": [{"label": str(row.label), "values": row.stages} for row in report.rows],
    }


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last twelve months, from the first day of the month eleven months ago to today."""
    today = today or timezone.localdate()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, 1), today


def group_totals(report: FunnelReport) -> dict[str, int]:
    """Stage counts summed over the rows (equal to the total's; used by tests and checks)."""
    sums: dict[str, int] = defaultdict(int)
    for row in report.rows:
        for name in ("leads", "qualified", "opportunities", "won", "contacted"):
            sums[name] += getattr(row, name)
    return dict(sums)
