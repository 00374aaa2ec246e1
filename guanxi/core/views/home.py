"""The start page.

For everyone: what they own and what changed lately among what they may see, and their own
timeline entries. For a rep: today's activities (due today or overdue), leads nobody has
contacted yet, and their pipeline by stage. For a manager (someone who manages a team): the
team's pipeline by stage and rep, this quarter's forecast, and follow-ups that are late.
Every block is a fixed number of queries, whatever the number of records.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..models import COUNT_CAP, Note, OwnedRecord, Record, count_up_to, record_models

RECENT = 10


def page_models() -> list[type[Record]]:
    """Record types with their own pages (a detail URL), in registration order."""
    return [m for m in record_models() if hasattr(m, "get_absolute_url")]


def attach_targets(notes: list[Note]) -> None:
    """Load the records the notes are on with one query per object type, not one per note."""
    found = Note.records_of(notes)
    for note in notes:
        note.target_record = found.get((note.content_type_id, note.object_id))


def overview(user: Any) -> dict[str, Any]:
    """Counts per object type, the records changed last and the user's own timeline entries."""
    counts = []
    recent: list[Record] = []
    for model in page_models():
        visible = model.objects.visible_to(user)
        mine = visible.filter(owner=user) if issubclass(model, OwnedRecord) else None
        row = {
            "label": model._meta.verbose_name_plural,
            "object_type": model.object_type(),
            # counted up to the cap ("1,000+"): an exact count of what a region manager sees
            # at a million accounts reads every row (4 s for contacts)
            "visible": count_up_to(visible, COUNT_CAP),
            "mine": count_up_to(mine, COUNT_CAP) if mine is not None else None,
            "cap": COUNT_CAP,
        }
        counts.append(row)
        recent.extend(visible.order_by("-updated_at", "-pk")[:RECENT])
    recent.sort(key=lambda obj: obj.updated_at, reverse=True)
    recent = recent[:RECENT]
    for obj in recent:
        obj.type_label = obj._meta.verbose_name
    notes = list(
        Note.objects.visible_to(user)
        .filter(created_by=user)
        .select_related("content_type")
        .order_by("-occurred_at", "-pk")[:RECENT]
    )
    attach_targets(notes)
    return {"counts": counts, "recent": recent, "notes": notes}


def rep_blocks(user: Any) -> dict[str, Any]:
    """Today's activities, leads to contact, my pipeline (each when the user works with it)."""
    if not apps.is_installed("guanxi.activities"):
        return {}
    from guanxi.activities import selectors

    context: dict[str, Any] = {}
    today, today_total = selectors.todays_activities(user)
    context.update(today=today, today_total=today_total)
    if apps.is_installed("guanxi.leads") and user.has_action("lead", "edit"):
        leads, leads_total = selectors.leads_to_contact(user)
        context.update(show_leads=True, leads_to_contact=leads, leads_total=leads_total)
    if apps.is_installed("guanxi.sales") and user.has_action("opportunity", "edit"):
        pipeline = selectors.my_pipeline(user)
        context.update(show_pipeline=True, my_pipeline=pipeline, my_pipeline_chart=pipeline.chart())
    return context


def manager_blocks(user: Any) -> dict[str, Any]:
    """For a team manager: the team pipeline, the quarter's forecast and late follow-ups."""
    if not user.managed_team_ids() or not apps.is_installed("guanxi.activities"):
        return {}
    from guanxi.activities import selectors

    context: dict[str, Any] = {"is_manager": True}
    if apps.is_installed("guanxi.sales"):
        team = selectors.team_pipeline(user)
        forecast = selectors.team_forecast(user)
        context.update(
            team_pipeline=team,
            team_pipeline_chart=team.chart(by_owner=True),
            forecast=forecast,
            forecast_chart=forecast.chart(),
        )
    late, late_total = selectors.overdue_activities(user)
    context.update(overdue_activities=late, overdue_activities_total=late_total)
    if apps.is_installed("guanxi.leads"):
        leads, leads_total = selectors.overdue_leads(user)
        context.update(overdue_leads=leads, overdue_leads_total=leads_total)
    context["overdue_total"] = late_total + context.get("overdue_leads_total", 0)
    return context


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = overview(user)
    context.update(rep_blocks(user))
    context.update(manager_blocks(user))
    return render(request, "core/home.html", context)
