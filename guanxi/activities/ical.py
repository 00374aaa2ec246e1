"""iCalendar (RFC 5545) text of a user's activities, written by hand.

Meetings, visits and calls become VEVENTs, tasks VTODOs. Times are in UTC (``…Z``), all-day
items are dates; TEXT values escape backslashes, semicolons, commas and newlines (§3.3.11);
content lines are folded at 75 octets, never inside a UTF-8 character (§3.1); every line ends
with CRLF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from .models import ActivityKind, ActivityStatus

CRLF = "\r\n"
LINE_OCTETS = 75
PRODID = "-//Guanxi//Guanxi CRM//EN"
DEFAULT_MINUTES = {ActivityKind.CALL: 15, ActivityKind.MEETING: 60, ActivityKind.VISIT: 60}


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): ``\\`` ``;`` ``,`` escaped, newlines as ``\\n``."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets; continuations start with a space.

    The break never falls inside a multi-byte UTF-8 character (Chinese text is three octets a
    character), as §3.1 asks.
    """
    encoded = line.encode("utf-8")
    if len(encoded) <= LINE_OCTETS:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
            limit = LINE_OCTETS - 1  # the leading space of a continuation line counts
        current += char
        size += width
    parts.append(current)
    return (CRLF + " ").join(parts)


def utc_stamp(value: dt.datetime) -> str:
    """A DATE-TIME in UTC form: ``20261201T173000Z``."""
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def date_stamp(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _status(activity: Any, todo: bool) -> str:
    if activity.status == ActivityStatus.CANCELLED:
        return "CANCELLED"
    if todo:
        return "COMPLETED" if activity.status == ActivityStatus.DONE else "NEEDS-ACTION"
    return "CONFIRMED"


def component_lines(activity: Any, *, host: str, zone: dt.tzinfo, base_url: str = "") -> list[str]:
    """The unfolded content lines of one activity's VEVENT or VTODO."""
    todo = activity.kind == ActivityKind.TASK
    name = "VTODO" if todo else "VEVENT"
    lines = [
        f"BEGIN:{name}",
        f"UID:activity-{activity.pk}@{host}",
        f"DTSTAMP:{utc_stamp(activity.updated_at)}",
        f"LAST-MODIFIED:{utc_stamp(activity.updated_at)}",
        f"CREATED:{utc_stamp(activity.created_at)}",
        f"SEQUENCE:{max(0, activity.version - 1)}",
        f"SUMMARY:{escape_text(activity.subject)}",
    ]
    start = activity.start_at or activity.due_at
    if activity.all_day:
        day = start.astimezone(zone).date()
        end_day = (activity.end_at or start).astimezone(zone).date() + dt.timedelta(days=1)
        if todo:
            lines.append(f"DUE;VALUE=DATE:{date_stamp(day)}")
        else:
            lines.append(f"DTSTART;VALUE=DATE:{date_stamp(day)}")
            lines.append(f"DTEND;VALUE=DATE:{date_stamp(end_day)}")
    elif todo:
        lines.append(f"DUE:{utc_stamp(start)}")
    else:
        end = activity.end_at or start + dt.timedelta(minutes=DEFAULT_MINUTES[activity.kind])
        lines.append(f"DTSTART:{utc_stamp(start)}")
        lines.append(f"DTEND:{utc_stamp(end)}")
    description = activity.description
    related = activity.related
    if related is not None:
        about = f"{related._meta.verbose_name.capitalize()}: {related}"
        description = f"{about}\n{description}" if description else about
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if activity.location:
        lines.append(f"LOCATION:{escape_text(activity.location)}")
    if base_url:
        lines.append(f"URL:{base_url}{activity.get_absolute_url()}")
    lines.append(f"CATEGORIES:{escape_text(activity.get_kind_display())}")
    lines.append(f"STATUS:{_status(activity, todo)}")
    if todo and activity.done_at and activity.status == ActivityStatus.DONE:
        lines.append(f"COMPLETED:{utc_stamp(activity.done_at)}")
    priority = {"high": 1, "normal": 5, "low": 9}.get(activity.priority)
    if priority:
        lines.append(f"PRIORITY:{priority}")
    if activity.reminder_at and activity.status == ActivityStatus.OPEN:
        lines.extend(
            [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"DESCRIPTION:{escape_text(activity.subject)}",
                f"TRIGGER;VALUE=DATE-TIME:{utc_stamp(activity.reminder_at)}",
                "END:VALARM",
            ]
        )
    lines.append(f"END:{name}")
    return lines


def calendar_text(
    activities: Iterable[Any],
    *,
    name: str,
    host: str,
    zone: dt.tzinfo,
    base_url: str = "",
) -> str:
    """A whole VCALENDAR: folded lines, each ending with CRLF."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{getattr(zone, 'key', 'UTC')}",
    ]
    for activity in activities:
        lines.extend(component_lines(activity, host=host, zone=zone, base_url=base_url))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
