"""Reads of the activity pages: calendar periods, home page widgets and call counts.

Each function makes a fixed number of queries whatever the number of rows, so the pages that
use them stay fast (tests pin the counts).
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from guanxi.core.models import Team, User

from .models import Activity, ActivityKind, ActivityStatus, CallOutcome

# --------------------------------------------------------------------------------------------
# whose activities: me, one of my people, or a team I manage
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose activities a calendar or report shows."""

    user: User | None = None
    team: Team | None = None

    @property
    def key(self) -> str:
        if self.team is not None:
            return f"team:{self.team.pk}"
        return f"user:{self.user.pk}" if self.user is not None else ""


def scope_choices(viewer: Any) -> tuple[list[User], list[Team]]:
    """The people and teams whose calendar the viewer may open: themself, and (a manager) the
    members of the teams they manage and those teams; an administrator, everyone."""
    staff = User.objects.filter(is_active=True, kind=User.Kind.STAFF)
    if viewer.is_admin_for("activity"):
        return list(staff.order_by("username")), list(Team.objects.order_by("path"))
    managed = viewer.managed_team_ids()
    if not managed:
        return [viewer], []
    people = staff.filter(Q(pk=viewer.pk) | Q(team_id__in=managed)).order_by("username")
    return list(people), list(Team.objects.filter(pk__in=managed).order_by("path"))


def resolve_scope(viewer: Any, user_id: str | None, team_id: str | None) -> Scope | None:
    """The scope asked for, if the viewer may open it (None: not theirs to see)."""
    people, teams = scope_choices(viewer)
    if team_id:
        team = next((t for t in teams if str(t.pk) == str(team_id)), None)
        return Scope(team=team) if team is not None else None
    if user_id and str(user_id) != str(viewer.pk):
        person = next((p for p in people if str(p.pk) == str(user_id)), None)
        return Scope(user=person) if person is not None else None
    return Scope(user=viewer)


def scoped_activities(viewer: Any, scope: Scope) -> QuerySet[Activity]:
    """Activities of the scope that the viewer may see (a user's: owned or attended)."""
    qs = Activity.objects.visible_to(viewer)
    if scope.team is not None:
        subtree = Team.objects.filter(path__startswith=scope.team.path).values("pk")
        return qs.filter(team_id__in=subtree)
    through = Activity.attendees.through
    attended = through.objects.filter(user=scope.user).values("activity_id")
    return qs.filter(Q(owner=scope.user) | Q(pk__in=attended))


# --------------------------------------------------------------------------------------------
# calendar
# --------------------------------------------------------------------------------------------

VIEWS = ("month", "week", "day")


@dataclass
class CalendarDay:
    date: dt.date
    in_period: bool
    is_today: bool
    items: list[Activity] = field(default_factory=list)


@dataclass
class CalendarPeriod:
    view: str
    anchor: dt.date
    start: dt.date  # first day shown
    end: dt.date  # last day shown
    weeks: list[list[CalendarDay]]
    previous: dt.date
    next: dt.date
    hours: list[tuple[int, list[Activity]]] = field(default_factory=list)  # day view
    all_day: list[Activity] = field(default_factory=list)  # day view

    @property
    def days(self) -> list[CalendarDay]:
        return [day for week in self.weeks for day in week]


def _bounds(view: str, anchor: dt.date, first_weekday: int) -> tuple[dt.date, dt.date]:
    if view == "day":
        return anchor, anchor
    if view == "week":
        start = anchor - dt.timedelta(days=(anchor.weekday() - first_weekday) % 7)
        return start, start + dt.timedelta(days=6)
    first = anchor.replace(day=1)
    last = anchor.replace(day=pycalendar.monthrange(anchor.year, anchor.month)[1])
    start = first - dt.timedelta(days=(first.weekday() - first_weekday) % 7)
    end = last + dt.timedelta(days=(first_weekday - 1 - last.weekday()) % 7)
    return start, end


def _step(view: str, anchor: dt.date, direction: int) -> dt.date:
    if view == "day":
        return anchor + dt.timedelta(days=direction)
    if view == "week":
        return anchor + dt.timedelta(days=7 * direction)
    month = anchor.month - 1 + direction
    year = anchor.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(anchor.day, pycalendar.monthrange(year, month)[1]))


def local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The aware moment a local day starts in ``zone``."""
    return dt.datetime.combine(day, dt.time.min).replace(tzinfo=zone)


def calendar_period(
    viewer: Any,
    scope: Scope,
    view: str,
    anchor: dt.date,
    *,
    zone: dt.tzinfo | None = None,
    first_weekday: int = 0,
    today: dt.date | None = None,
) -> CalendarPeriod:
    """The days of a month, week or day with the scope's activities placed on them.

    Each activity is placed on the local day (in ``zone``, the viewer's time zone) of its due
    time, or its start; one query reads the period's activities.
    """
    zone = zone or timezone.get_current_timezone()
    view = view if view in VIEWS else "month"
    today = today or timezone.localdate(timezone=zone)
    start, end = _bounds(view, anchor, first_weekday)
    since = local_midnight(start, zone)
    until = local_midnight(end + dt.timedelta(days=1), zone)
    activities = list(
        scoped_activities(viewer, scope)
        .filter(due_at__gte=since, due_at__lt=until)
        .exclude(status=ActivityStatus.CANCELLED)
        .select_related("owner")
        .prefetch_related("related")
        .order_by("all_day", "due_at", "pk")
    )
    by_day: dict[dt.date, list[Activity]] = defaultdict(list)
    for activity in activities:
        by_day[activity.due_at.astimezone(zone).date()].append(activity)
    days = []
    day = start
    while day <= end:
        in_period = view != "month" or day.month == anchor.month
        days.append(CalendarDay(day, in_period, day == today, by_day.get(day, [])))
        day += dt.timedelta(days=1)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    period = CalendarPeriod(
        view=view,
        anchor=anchor,
        start=start,
        end=end,
        weeks=weeks,
        previous=_step(view, anchor, -1),
        next=_step(view, anchor, 1),
    )
    if view == "day":
        hours: dict[int, list[Activity]] = defaultdict(list)
        for activity in by_day.get(anchor, []):
            if activity.all_day:
                period.all_day.append(activity)
            else:
                hours[activity.due_at.astimezone(zone).hour].append(activity)
        period.hours = [(hour, hours.get(hour, [])) for hour in range(24)]
    return period


def feed_activities(user: Any, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """What a user's iCalendar feed carries: their activities (owned or attended) from 90
    days back to a year ahead, with a time, whatever their status."""
    now = now or timezone.now()
    return (
        scoped_activities(user, Scope(user=user))
        .filter(
            due_at__gte=now - dt.timedelta(days=90),
            due_at__lt=now + dt.timedelta(days=366),
        )
        .prefetch_related("related")
        .order_by("due_at", "pk")[:5000]
    )


# --------------------------------------------------------------------------------------------
# home page
# --------------------------------------------------------------------------------------------


def end_of_today(zone: dt.tzinfo | None = None) -> dt.datetime:
    zone = zone or timezone.get_current_timezone()
    return local_midnight(timezone.localdate(timezone=zone) + dt.timedelta(days=1), zone)


def todays_activities(user: Any, limit: int = 20) -> tuple[list[Activity], int]:
    """The user's open activities due today or overdue, oldest first, and how many."""
    qs = Activity.objects.visible_to(user).filter(
        owner=user, status=ActivityStatus.OPEN, due_at__lt=end_of_today()
    )
    rows = list(qs.prefetch_related("related").order_by("due_at", "pk")[:limit])
    total = qs.count()  # always one query, so the page costs the same at 5 rows as at 500
    return rows, total


def leads_to_contact(user: Any, limit: int = 10) -> tuple[list[Any], int]:
    """The user's open leads nobody has contacted yet, the longest waiting first."""
    from guanxi.leads.models import OPEN_STATUSES, Lead

    qs = Lead.objects.visible_to(user).filter(
        owner=user, status__in=OPEN_STATUSES, first_contacted_at__isnull=True
    )
    rows = list(qs.order_by("created_at", "pk")[:limit])
    total = qs.count()  # always one query, so the page costs the same at 5 rows as at 500
    return rows, total


@dataclass
class StageRow:
    """One stage of a pipeline summary: counts and sums per currency, and per rep."""

    stage_id: int
    name: str
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)
    by_owner: dict[int | None, dict[str, Decimal]] = field(default_factory=dict)
    count_by_owner: dict[int | None, int] = field(default_factory=dict)


@dataclass
class PipelineSummary:
    stages: list[StageRow]
    owners: list[User]
    currencies: list[str]
    count: int
    totals: dict[str, Decimal]

    @property
    def main_currency(self) -> str:
        """The currency most of the amount is in (charts draw one currency)."""
        if not self.totals:
            return "CNY"
        return max(self.totals.items(), key=lambda item: item[1])[0]

    def chart(self, by_owner: bool = False) -> dict[str, Any]:
        """ECharts data: stages on the axis, amounts of the main currency (per rep)."""
        currency = self.main_currency
        data: dict[str, Any] = {
            "currency": currency,
            "stages": [row.name for row in self.stages],
            "counts": [row.count for row in self.stages],
        }
        if by_owner:
            data["series"] = [
                {
                    "name": str(owner),
                    "data": [
                        float(row.by_owner.get(owner.pk, {}).get(currency, 0))
                        for row in self.stages
                    ],
                }
                for owner in self.owners
            ]
        else:
            data["series"] = [
                {
                    "name": currency,
                    "data": [float(row.totals.get(currency, 0)) for row in self.stages],
                }
            ]
        return data


def pipeline_by_stage(queryset: QuerySet) -> PipelineSummary:
    """Open opportunities of ``queryset`` summed by stage, currency and owner (two queries)."""
    from guanxi.sales.models import Stage, StageKind

    open_deals = queryset.filter(stage__kind=StageKind.OPEN)
    rows = list(
        open_deals.values_list("stage", "owner", "currency")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    )
    stage_ids = {stage_id for stage_id, *_rest in rows}
    stages = {
        stage.pk: StageRow(stage.pk, str(stage))
        for stage in Stage.objects.filter(pk__in=stage_ids).order_by("pipeline", "order", "pk")
    }
    owner_ids: set[int] = set()
    totals: dict[str, Decimal] = defaultdict(Decimal)
    count = 0
    for stage_id, owner_id, currency, n, total in rows:
        row = stages[stage_id]
        total = total or Decimal(0)
        row.count += n
        row.totals[currency] = row.totals.get(currency, Decimal(0)) + total
        per_owner = row.by_owner.setdefault(owner_id, {})
        per_owner[currency] = per_owner.get(currency, Decimal(0)) + total
        row.count_by_owner[owner_id] = row.count_by_owner.get(owner_id, 0) + n
        totals[currency] += total
        count += n
        if owner_id is not None:
            owner_ids.add(owner_id)
    owners = list(User.objects.filter(pk__in=owner_ids).order_by("username")) if owner_ids else []
    return PipelineSummary(
        stages=list(stages.values()),
        owners=owners,
        currencies=sorted(totals),
        count=count,
        totals=dict(sorted(totals.items())),
    )


def my_pipeline(user: Any) -> PipelineSummary:
    from guanxi.sales.models import Opportunity

    return pipeline_by_stage(Opportunity.objects.visible_to(user).filter(owner=user))


def team_pipeline(user: Any) -> PipelineSummary:
    from guanxi.sales.models import Opportunity

    managed = user.managed_team_ids()
    return pipeline_by_stage(Opportunity.objects.visible_to(user).filter(team_id__in=managed))


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    end_month = first_month + 2
    end = dt.date(day.year, end_month, pycalendar.monthrange(day.year, end_month)[1])
    return start, end


@dataclass
class QuarterForecast:
    start: dt.date
    end: dt.date
    totals: dict[str, Any]  # currency -> ForecastLine

    def chart(self) -> dict[str, Any]:
        from guanxi.sales.selectors import FORECAST_CATEGORIES

        if not self.totals:
            return {"currency": "", "categories": [], "amounts": []}
        currency, line = max(self.totals.items(), key=lambda item: item[1].amount)
        return {
            "currency": currency,
            "categories": list(FORECAST_CATEGORIES[:4]),
            "amounts": [float(line.amounts.get(c, 0)) for c in FORECAST_CATEGORIES[:4]],
            "weighted": float(line.weighted),
        }


def team_forecast(user: Any, today: dt.date | None = None) -> QuarterForecast:
    """This quarter's forecast of the teams the user manages (sales.selectors.forecast)."""
    from guanxi.sales.models import Opportunity
    from guanxi.sales.selectors import forecast, forecast_table

    start, end = quarter_bounds(today or timezone.localdate())
    managed = user.managed_team_ids()
    rows = forecast(
        user,
        start=start,
        end=end,
        period="quarter",
        group_by="team",
        queryset=Opportunity.objects.visible_to(user).filter(team_id__in=managed),
    )
    _lines, totals = forecast_table(rows)
    return QuarterForecast(start, end, totals)


def overdue_activities(user: Any, limit: int = 15) -> tuple[list[Activity], int]:
    """Open activities of the managed teams past their due time, the oldest first."""
    managed = user.managed_team_ids()
    qs = Activity.objects.visible_to(user).filter(
        team_id__in=managed, status=ActivityStatus.OPEN, due_at__lt=timezone.now()
    )
    rows = list(
        qs.select_related("owner").prefetch_related("related").order_by("due_at", "pk")[:limit]
    )
    total = qs.count()  # always one query, so the page costs the same at 5 rows as at 500
    return rows, total


def overdue_leads(user: Any, limit: int = 15) -> tuple[list[Any], int]:
    """Leads of the managed teams not contacted within their assignment rule's time."""
    from guanxi.leads.models import OPEN_STATUSES, AssignmentRule, Lead

    managed = user.managed_team_ids()
    now = timezone.now()
    rules = AssignmentRule.objects.filter(
        is_active=True, contact_within_hours__isnull=False, team_id__in=managed
    ).values_list("team_id", "contact_within_hours")
    late = Q(pk__in=[])
    for team_id, hours in rules:
        late |= Q(team_id=team_id, assigned_at__lt=now - dt.timedelta(hours=hours))
    qs = Lead.objects.visible_to(user).filter(
        late, status__in=OPEN_STATUSES, first_contacted_at__isnull=True
    )
    rows = list(qs.select_related("owner").order_by("assigned_at", "pk")[:limit])
    total = qs.count()  # always one query, so the page costs the same at 5 rows as at 500
    return rows, total


# --------------------------------------------------------------------------------------------
# call lists
# --------------------------------------------------------------------------------------------


def with_counts(queryset: QuerySet) -> QuerySet:
    """Call lists annotated with how many entries they have and how many are done."""
    from .models import EntryStatus

    return queryset.annotate(
        entry_count=Count("entries"),
        done_count=Count("entries", filter=~Q(entries__status=EntryStatus.PENDING)),
    )


# --------------------------------------------------------------------------------------------
# calls per rep per day
# --------------------------------------------------------------------------------------------


@dataclass
class CallCountRow:
    day: dt.date
    owner: User | None
    total: int
    successful: int
    by_outcome: dict[int | None, int]

    @property
    def without_outcome(self) -> int:
        return self.by_outcome.get(None, 0)


@dataclass
class CallReport:
    start: dt.date
    end: dt.date
    outcomes: list[CallOutcome]
    rows: list[CallCountRow]
    total: int
    by_outcome: dict[int | None, int]


def call_counts(
    viewer: Any, start: dt.date, end: dt.date, *, zone: dt.tzinfo | None = None
) -> CallReport:
    """Calls made (completed call activities the viewer may see) per rep and local day in
    [start, end], with their outcomes; one aggregate query."""
    zone = zone or timezone.get_current_timezone()
    since = local_midnight(start, zone)
    until = local_midnight(end + dt.timedelta(days=1), zone)
    rows = (
        Activity.objects.visible_to(viewer)
        .filter(
            kind=ActivityKind.CALL,
            status=ActivityStatus.DONE,
            done_at__gte=since,
            done_at__lt=until,
        )
        .annotate(day=TruncDate("done_at", tzinfo=zone))
        .values_list("day", "owner", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    outcomes = {o.pk: o for o in CallOutcome.objects.order_by("order", "pk")}
    grouped: dict[tuple[dt.date, int | None], CallCountRow] = {}
    owner_ids: set[int] = set()
    by_outcome: dict[int | None, int] = defaultdict(int)
    total = 0
    for day, owner_id, outcome_id, n in rows:
        if isinstance(day, dt.datetime):
            day = day.date()
        row = grouped.get((day, owner_id))
        if row is None:
            row = grouped[(day, owner_id)] = CallCountRow(day, None, 0, 0, defaultdict(int))
            row.owner = owner_id  # type: ignore[assignment]  # replaced by the user below
        row.total += n
        row.by_outcome[outcome_id] += n
        outcome = outcomes.get(outcome_id)
        if outcome is not None and outcome.is_success:
            row.successful += n
        by_outcome[outcome_id] += n
        total += n
        if owner_id is not None:
            owner_ids.add(owner_id)
    users = {u.pk: u for u in User.objects.filter(pk__in=owner_ids)} if owner_ids else {}
    for row in grouped.values():
        row.owner = users.get(row.owner)  # type: ignore[arg-type]
    ordered = sorted(
        grouped.values(), key=lambda r: (r.day, str(r.owner) if r.owner else ""), reverse=False
    )
    ordered.sort(key=lambda r: r.day, reverse=True)
    used = [o for pk, o in outcomes.items() if by_outcome.get(pk) or o.is_active]
    return CallReport(start, end, used, ordered, total, dict(by_outcome))
