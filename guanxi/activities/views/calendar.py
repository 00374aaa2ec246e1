"""The calendar (day, week, month; a person's or a team's) and the iCalendar feed."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.core.generic import is_htmx
from guanxi.core.models import Action

from .. import ical, selectors, services
from ..models import ActivityKind, CalendarFeed

WEEKDAY_NAMES = [
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
]


def _anchor(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except (TypeError, ValueError):
        return timezone.localdate()


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    """A month, week or day of activities; ``user`` or ``team`` picks whose (managers)."""
    params = request.GET
    scope = selectors.resolve_scope(request.user, params.get("user"), params.get("team"))
    if scope is None:
        raise Http404(_("No such calendar."))
    view = params.get("view", "month")
    view = view if view in selectors.VIEWS else "month"
    anchor = _anchor(params.get("date", ""))
    zone = timezone.get_current_timezone()
    period = selectors.calendar_period(request.user, scope, view, anchor, zone=zone)
    people, teams = selectors.scope_choices(request.user)

    def url(**changes: str) -> str:
        query = {"view": view, "date": anchor.isoformat()}
        if scope.team is not None:
            query["team"] = str(scope.team.pk)
        elif scope.user is not None and scope.user.pk != request.user.pk:
            query["user"] = str(scope.user.pk)
        query.update(changes)
        return f"{reverse('activities:calendar')}?{urlencode(query)}"

    context = {
        "period": period,
        "view": view,
        "scope": scope,
        "people": people,
        "teams": teams,
        "weekdays": [str(name) for name in WEEKDAY_NAMES],
        "zone_name": getattr(zone, "key", str(zone)),
        "previous_url": url(date=period.previous.isoformat()),
        "next_url": url(date=period.next.isoformat()),
        "today_url": url(date=timezone.localdate().isoformat()),
        "view_urls": [(name, label, url(view=name)) for name, label in _view_labels()],
        "can_create": request.user.has_action("activity", Action.CREATE),
        "create_url": reverse("activities:activity-create"),
        "kinds": ActivityKind,
        "feed_url": _feed_url(request),
        "calendar_url": reverse("activities:calendar"),
    }
    template = "activities/includes/calendar_body.html" if is_htmx(request) else None
    return render(request, template or "activities/calendar.html", context)


def _view_labels() -> list[tuple[str, str]]:
    return [("month", _("Month")), ("week", _("Week")), ("day", _("Day"))]


def _feed_url(request: HttpRequest) -> str:
    feed = CalendarFeed.objects.filter(user=request.user).first()
    if feed is None:
        return ""
    return request.build_absolute_uri(reverse("activities:ical", args=[feed.token]))


@login_required
@require_POST
def calendar_feed_regenerate(request: HttpRequest) -> HttpResponse:
    """Make (or remake) the user's secret feed address; an old address stops working."""
    had_one = CalendarFeed.objects.filter(user=request.user).exists()
    services.regenerate_calendar_feed(request.user)
    if had_one:
        messages.success(
            request, _("Your calendar has a new address; the old one no longer works.")
        )
    else:
        messages.success(request, _("Your calendar feed is ready: subscribe to its address."))
    return HttpResponseRedirect(f"{reverse('activities:calendar')}#calendar-feed")


def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed of the user the secret token belongs to (no login: calendar apps
    cannot log in); an unknown token answers 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404("No such calendar.")
    user = feed.user
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    text = ical.calendar_text(
        selectors.feed_activities(user),
        name=_("Guanxi: %(name)s") % {"name": user},
        host=request.get_host().split(":")[0] or "guanxi",
        zone=zone,
        base_url=f"{request.scheme}://{request.get_host()}",
    )
    response = HttpResponse(text.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="guanxi.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
