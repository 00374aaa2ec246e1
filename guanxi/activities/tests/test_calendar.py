"""The calendar pages (month, week, day; a person's or a team's) and the iCalendar feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.activities import ical, services
from guanxi.activities.models import CalendarFeed

from .helpers import make_account, make_activity

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LATE_EVENING_UTC = dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC)  # 01:30 on 2 Dec in Shanghai


def in_time_zone(user, zone):
    user.time_zone = zone
    user.save()
    return user


def days_of(response):
    return {
        day.date.isoformat(): [a.subject for a in day.items]
        for day in response.context["period"].days
    }


def test_month_shows_an_activity_on_its_day_in_the_users_time_zone(client, org):
    in_time_zone(org.east_rep, "Asia/Shanghai")
    make_activity(org.east_rep, "Late call", kind="call", due_at=LATE_EVENING_UTC)
    client.force_login(org.east_rep)

    response = client.get(reverse("activities:calendar"), {"view": "month", "date": "2026-12-01"})

    days = days_of(response)
    assert days["2026-12-02"] == ["Late call"]
    assert days["2026-12-01"] == []
    body = response.content.decode()
    cell = body.split('data-date="2026-12-02"', 1)[1].split('role="gridcell"', 1)[0]
    assert "Late call" in cell and "01:30" in cell


def test_the_same_activity_is_on_the_first_for_a_user_in_london(client, org):
    in_time_zone(org.east_rep, "Europe/London")
    make_activity(org.east_rep, "Late call", kind="call", due_at=LATE_EVENING_UTC)
    client.force_login(org.east_rep)

    response = client.get(reverse("activities:calendar"), {"view": "month", "date": "2026-12-01"})

    assert days_of(response)["2026-12-01"] == ["Late call"]


def test_month_grid_starts_on_monday_and_covers_whole_weeks(client, org):
    client.force_login(org.east_rep)

    response = client.get(reverse("activities:calendar"), {"view": "month", "date": "2026-12-15"})

    period = response.context["period"]
    assert period.start == dt.date(2026, 11, 30)  # a Monday
    assert period.end == dt.date(2027, 1, 3)  # a Sunday
    assert len(period.days) % 7 == 0
    assert period.previous == dt.date(2026, 11, 15)
    assert period.next == dt.date(2027, 1, 15)


def test_week_and_day_views(client, org):
    in_time_zone(org.east_rep, "Asia/Shanghai")
    start = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    make_activity(org.east_rep, "Customer visit", kind="visit", start_at=start)
    client.force_login(org.east_rep)

    week = client.get(reverse("activities:calendar"), {"view": "week", "date": "2026-12-03"})
    day = client.get(reverse("activities:calendar"), {"view": "day", "date": "2026-12-02"})

    assert days_of(week)["2026-12-02"] == ["Customer visit"]
    assert len(week.context["period"].days) == 7
    hours = dict(day.context["period"].hours)
    assert [a.subject for a in hours[10]] == ["Customer visit"]


def test_period_navigation_answers_a_fragment_to_htmx(client, org):
    client.force_login(org.east_rep)

    response = client.get(
        reverse("activities:calendar"), {"view": "month", "date": "2027-01-01"}, **HTMX
    )

    body = response.content.decode()
    assert "<html" not in body
    assert 'id="calendar-grid"' in body


def test_a_manager_sees_the_teams_calendar(client, org):
    make_activity(org.east_rep, "Rep one", due_at=LATE_EVENING_UTC)
    make_activity(org.east_rep2, "Rep two", due_at=LATE_EVENING_UTC)
    make_activity(org.west_rep, "West rep", due_at=LATE_EVENING_UTC)
    client.force_login(org.east_manager)

    response = client.get(
        reverse("activities:calendar"),
        {"view": "month", "date": "2026-12-01", "team": org.east.pk},
    )

    subjects = sorted(a.subject for day in response.context["period"].days for a in day.items)
    assert subjects == ["Rep one", "Rep two"]


def test_a_manager_opens_one_members_calendar(client, org):
    make_activity(org.east_rep, "Rep one", due_at=LATE_EVENING_UTC)
    make_activity(org.east_rep2, "Rep two", due_at=LATE_EVENING_UTC)
    client.force_login(org.east_manager)

    response = client.get(
        reverse("activities:calendar"),
        {"view": "month", "date": "2026-12-01", "user": org.east_rep2.pk},
    )

    subjects = [a.subject for day in response.context["period"].days for a in day.items]
    assert subjects == ["Rep two"]


def test_a_rep_cannot_open_a_colleagues_or_a_teams_calendar(client, org):
    client.force_login(org.east_rep)

    colleague = client.get(reverse("activities:calendar"), {"user": org.east_rep2.pk})
    team = client.get(reverse("activities:calendar"), {"team": org.east.pk})

    assert (colleague.status_code, team.status_code) == (404, 404)


def test_my_calendar_shows_meetings_i_attend(client, org):
    make_activity(
        org.east_rep2,
        "Their meeting",
        kind="meeting",
        start_at=LATE_EVENING_UTC,
        attendees=[org.east_rep],
    )
    client.force_login(org.east_rep)

    response = client.get(reverse("activities:calendar"), {"view": "month", "date": "2026-12-01"})

    subjects = [a.subject for day in response.context["period"].days for a in day.items]
    assert subjects == ["Their meeting"]


# -- the iCalendar feed --------------------------------------------------------------------------


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_feed_lists_a_known_event_with_utc_times_and_escaped_text(client, org):
    account = make_account(org.east_rep, "Acme")
    meeting = make_activity(
        org.east_rep,
        "Review; pricing, terms",
        kind="meeting",
        start_at=LATE_EVENING_UTC,
        end_at=LATE_EVENING_UTC + dt.timedelta(minutes=45),
        location="Room 3, floor 2",
        description="Bring:\nthe contract\\draft",
        related=account,
    )
    feed = services.calendar_feed(org.east_rep)

    response = client.get(reverse("activities:ical", args=[feed.token]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends with CRLF
    lines = unfold(text)
    assert "BEGIN:VEVENT" in lines
    assert f"UID:activity-{meeting.pk}@testserver" in lines
    assert "DTSTART:20261201T173000Z" in lines
    assert "DTEND:20261201T181500Z" in lines
    assert "SUMMARY:Review\\; pricing\\, terms" in lines
    assert "LOCATION:Room 3\\, floor 2" in lines
    assert "DESCRIPTION:Account: Acme\\nBring:\\nthe contract\\\\draft" in lines
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in lines)


def test_feed_folds_long_lines_at_75_octets_without_splitting_characters(client, org):
    subject = "与华为技术有限公司的年度框架合同续签及价格谈判会议，请提前准备报价单和竞品对比资料"
    make_activity(org.east_rep, subject, kind="meeting", start_at=LATE_EVENING_UTC)
    feed = services.calendar_feed(org.east_rep)

    text = client.get(reverse("activities:ical", args=[feed.token])).content.decode("utf-8")

    physical = text.split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical)  # continuation lines
    assert f"SUMMARY:{ical.escape_text(subject)}" in unfold(text)


def test_tasks_are_todos_and_all_day_items_are_dates(client, org):
    make_activity(org.east_rep, "Prepare quote", kind="task", due_at=LATE_EVENING_UTC)
    make_activity(org.east_rep, "Trade fair", kind="visit", start_at=LATE_EVENING_UTC, all_day=True)
    in_time_zone(org.east_rep, "Asia/Shanghai")
    feed = services.calendar_feed(org.east_rep)

    lines = unfold(client.get(reverse("activities:ical", args=[feed.token])).content.decode())

    assert "BEGIN:VTODO" in lines
    assert "DUE:20261201T173000Z" in lines
    assert "DTSTART;VALUE=DATE:20261202" in lines  # the local date of the fair
    assert "DTEND;VALUE=DATE:20261203" in lines


def test_feed_with_a_bad_token_is_404(client, org):
    services.calendar_feed(org.east_rep)

    response = client.get(reverse("activities:ical", args=["not-a-real-token"]))

    assert response.status_code == 404


def test_regenerating_the_feed_retires_the_old_address(client, org):
    old = services.calendar_feed(org.east_rep).token
    client.force_login(org.east_rep)

    client.post(reverse("activities:calendar-feed"))

    new = CalendarFeed.objects.get(user=org.east_rep).token
    assert new != old
    assert client.get(reverse("activities:ical", args=[old])).status_code == 404
    assert client.get(reverse("activities:ical", args=[new])).status_code == 200


def test_feed_of_a_deactivated_user_is_404(client, org):
    feed = services.calendar_feed(org.east_rep)
    org.east_rep.is_active = False
    org.east_rep.save()

    assert client.get(reverse("activities:ical", args=[feed.token])).status_code == 404


def test_fold_counts_octets_not_characters():
    line = "DESCRIPTION:" + "é" * 100

    folded = ical.fold(line)

    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_escape_text_escapes_what_rfc_5545_asks():
    assert ical.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
