"""Activity, reminder, calendar-feed and telesales use-cases.

Every write goes through the core record services (permission, validation, version check,
change log, events) in one transaction. A completed call, meeting or visit is written on the
related record's timeline as a core note of the same kind, and on a lead a call, meeting or visit
marks it contacted, which stops its escalation clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404, QueryDict
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from guanxi.core import events
from guanxi.core import services as core
from guanxi.core.models import Action, DeletedRecord, Note, Record, SavedView, timeline_models
from guanxi.core.notifications import notify

from .models import (
    LOGGED_KINDS,
    TIMED_KINDS,
    Activity,
    ActivityKind,
    ActivityStatus,
    CalendarFeed,
    CallList,
    CallListEntry,
    CallOutcome,
    EntryStatus,
)

logger = logging.getLogger(__name__)

#: Keys a caller may pass besides model fields: the record it is on, attendees, and a reminder
#: given as minutes before the activity's time.
EXTRA_KEYS = ("related", "attendees", "reminder_minutes")


# --------------------------------------------------------------------------------------------
# related records
# --------------------------------------------------------------------------------------------


def related_models() -> dict[str, type[Record]]:
    """Object types an activity may be on: those with a timeline, by object type name."""
    return {model.object_type(): model for model in timeline_models()}


def find_related(actor: Any, object_type: str, object_id: Any) -> Record:
    """The record ``object_type`` #``object_id`` if the actor may see it; else a field error."""
    model = related_models().get(str(object_type or ""))
    if model is None:
        raise ValidationError(
            {"object_type": _("Choose one of: %s.") % ", ".join(sorted(related_models()))}
        )
    try:
        return core.get_visible(actor, model, object_id)
    except Http404 as exc:
        raise ValidationError({"object_id": _("Select an existing record you can see.")}) from exc


def _prepare(
    actor: Any, data: Mapping[str, Any], current: Activity | None = None
) -> tuple[dict[str, Any], dict[str, Any] | None, Record | None, bool]:
    """Split the caller's data into model fields and many-to-many values.

    Returns (fields, m2m, related record, whether "related" was given).
    """
    plain = dict(data)
    related_given = "related" in plain
    related = plain.pop("related", None)
    attendees = plain.pop("attendees", None)
    minutes = plain.pop("reminder_minutes", None)
    if related_given:
        if related is not None:
            if not getattr(type(related), "has_timeline", False):
                raise ValidationError({"object_type": _("This kind of record has no timeline.")})
            if not type(related).objects.visible_to(actor).filter(pk=related.pk).exists():
                raise ValidationError({"object_id": _("Select an existing record you can see.")})
            plain["content_type"] = ContentType.objects.get_for_model(type(related))
            plain["object_id"] = related.pk
        else:
            plain["content_type"] = None
            plain["object_id"] = None
    kind = plain.get("kind", current.kind if current is not None else ActivityKind.TASK)
    if minutes not in (None, ""):
        try:
            minutes = int(minutes)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"reminder_minutes": _("Enter a whole number.")}) from exc
        if minutes < 0:
            raise ValidationError({"reminder_minutes": _("Enter zero or more minutes.")})
        start_key = "start_at" if kind in TIMED_KINDS else "due_at"
        start = plain.get(start_key, getattr(current, start_key, None))
        if start is None:
            raise ValidationError(
                {"reminder_minutes": _("A reminder before the activity needs its time.")}
            )
        plain["reminder_at"] = start - dt.timedelta(minutes=minutes)
    m2m = None
    if attendees is not None:
        attendees = list(attendees)
        if attendees and kind not in TIMED_KINDS:
            raise ValidationError({"attendees": _("Only meetings and visits have attendees.")})
        m2m = {"attendees": attendees}
    elif current is not None and kind not in TIMED_KINDS and current.attendees.exists():
        m2m = {"attendees": []}  # a meeting turned into a task keeps no attendees
    return plain, m2m, related, related_given


def _reject_status(data: Mapping[str, Any]) -> None:
    for name in ("status", "done_at"):
        if name in data:
            raise ValidationError(
                {name: _("Use complete or cancel to change an activity's status.")}
            )


# --------------------------------------------------------------------------------------------
# activities
# --------------------------------------------------------------------------------------------


@transaction.atomic
def create_activity(actor: Any, data: Mapping[str, Any], *, owner: Any = "actor") -> Activity:
    """Plan a task, call, meeting or visit, optionally on a record the actor may see.

    ``data`` holds model fields plus ``related`` (the record), ``attendees`` (users, meetings
    and visits only) and ``reminder_minutes`` (a reminder that many minutes before). The
    owner is the actor unless they may assign it to someone else. Emits ``activity.created``.
    """
    _reject_status(data)
    plain, m2m, _related, _given = _prepare(actor, data)
    return core.create_record(actor, Activity, plain, m2m=m2m, owner=owner)


@transaction.atomic
def update_activity(
    actor: Any, activity: Activity, data: Mapping[str, Any], *, expected_version: int | None
) -> Activity:
    """Change an activity if it is still at ``expected_version`` (else ``StaleVersion``).

    A changed reminder time arms the reminder again.
    """
    _reject_status(data)
    plain, m2m, _related, _given = _prepare(actor, data, current=activity)
    before = activity.reminder_at
    updated = core.update_record(actor, activity, plain, expected_version=expected_version, m2m=m2m)
    if updated.reminder_at != before:
        Activity.all_objects.filter(pk=updated.pk).update(reminded_at=None)
        updated.reminded_at = None
    return updated


def _duration_minutes(activity: Activity) -> int | None:
    if activity.start_at and activity.end_at:
        return max(0, int((activity.end_at - activity.start_at).total_seconds() // 60))
    return None


def _log_on_timeline(actor: Any, activity: Activity, done_at: dt.datetime) -> Note | None:
    """Write the done call, meeting or visit on its record's timeline (as a note of its kind).

    Skipped when the actor no longer sees the record (it was reassigned since): the activity
    is still done, and its own page keeps what happened.
    """
    related = activity.related
    if activity.kind not in LOGGED_KINDS or related is None or related.deleted_at is not None:
        return None
    if not type(related).objects.visible_to(actor).filter(pk=related.pk).exists():
        return None
    body = "\n\n".join(part for part in (activity.result, activity.description) if part)
    if activity.outcome_id:
        body = f"{activity.outcome}\n\n{body}".strip()
    return core.add_note(
        actor,
        related,
        {
            "kind": activity.kind,
            "direction": Note.Direction.OUTBOUND if activity.kind == ActivityKind.CALL else "",
            "subject": activity.subject[:200],
            "body": body,
            "occurred_at": min(done_at, timezone.now()),
            "duration_minutes": _duration_minutes(activity),
        },
    )


def _mark_lead_contacted(actor: Any, activity: Activity, done_at: dt.datetime) -> None:
    related = activity.related
    if related is None or related._meta.model_name != "lead" or related.deleted_at is not None:
        return
    from guanxi.leads.services import CONTACT_KINDS, mark_contacted

    if activity.kind in CONTACT_KINDS and related.can_edit(actor):
        mark_contacted(actor, related, at=min(done_at, timezone.now()))


@transaction.atomic
def complete_activity(
    actor: Any,
    activity: Activity,
    *,
    outcome: CallOutcome | None = None,
    result: str = "",
    done_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Activity:
    """Mark an open activity done, with how it went.

    A call, meeting or visit is logged on the related record's timeline as a note of the same
    kind; on a lead it also marks the lead contacted. Emits ``activity.completed``.
    """
    if activity.status != ActivityStatus.OPEN:
        raise ValidationError({"status": _("Only an open activity can be completed.")})
    if outcome is not None and not outcome.is_active:
        raise ValidationError({"outcome": _("This outcome is no longer in use.")})
    done_at = done_at or timezone.now()
    changes: dict[str, Any] = {"status": ActivityStatus.DONE, "done_at": done_at}
    if outcome is not None:
        changes["outcome"] = outcome
    if result:
        changes["result"] = result
    done = core.update_record(
        actor, activity, changes, expected_version=expected_version, event=None
    )
    note = _log_on_timeline(actor, done, done_at)
    if note is not None:
        Activity.all_objects.filter(pk=done.pk).update(note=note)
        done.note = note
    _mark_lead_contacted(actor, done, done_at)
    events.emit(
        "activity.completed",
        done,
        actor,
        kind=done.kind,
        outcome=done.outcome.code if done.outcome_id else None,
        object_type=done.related_type or None,
        object_id=done.object_id,
    )
    return done


@transaction.atomic
def cancel_activity(
    actor: Any, activity: Activity, *, expected_version: int | None = None, reason: str = ""
) -> Activity:
    """Call off an open activity (it stays in the history, marked cancelled)."""
    if activity.status != ActivityStatus.OPEN:
        raise ValidationError({"status": _("Only an open activity can be cancelled.")})
    changes: dict[str, Any] = {"status": ActivityStatus.CANCELLED}
    if reason:
        changes["result"] = reason
    return core.update_record(
        actor, activity, changes, expected_version=expected_version, event="cancelled"
    )


@transaction.atomic
def delete_activity(
    actor: Any, activity: Activity, *, expected_version: int | None
) -> DeletedRecord:
    """Move an activity to the recycle bin (a note it left on a timeline stays there)."""
    return core.delete_record(actor, activity, expected_version=expected_version)


@transaction.atomic
def log_call(
    actor: Any,
    related: Record,
    *,
    outcome: CallOutcome | None = None,
    notes: str = "",
    subject: str = "",
    at: dt.datetime | None = None,
) -> Activity:
    """Log a call that just happened on a record: a call activity created done at once."""
    at = at or timezone.now()
    label = str(related)
    call = create_activity(
        actor,
        {
            "kind": ActivityKind.CALL,
            "subject": (subject or _("Call with %(name)s") % {"name": label})[:200],
            "due_at": at,
            "related": related,
        },
    )
    return complete_activity(actor, call, outcome=outcome, result=notes, done_at=at)


# --------------------------------------------------------------------------------------------
# reminders
# --------------------------------------------------------------------------------------------


def _reminder_text(activity: Activity, user: Any) -> str:
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    with translation.override(user.language), timezone.override(zone):
        when = activity.start_at or activity.due_at
        if when is None:
            return _("Reminder: %(subject)s") % {"subject": activity.subject}
        style = "SHORT_DATE_FORMAT" if activity.all_day else "SHORT_DATETIME_FORMAT"
        shown = formats.date_format(timezone.localtime(when), style)
        return _("Reminder: %(kind)s “%(subject)s” at %(when)s") % {
            "kind": activity.get_kind_display().lower(),
            "subject": activity.subject,
            "when": shown,
        }


def send_reminders(now: dt.datetime | None = None, batch: int = 500) -> int:
    """Notify (in the app and by email) the owner and attendees of each open activity whose
    reminder time has passed, once: ``reminded_at`` is claimed with a conditional UPDATE, so
    two runs at once never remind twice. Run every minute by a scheduled job."""
    now = now or timezone.now()
    sent = 0
    after = 0
    while True:
        # in id order from where the last batch ended: one that fails is retried next run,
        # not again and again in this one
        due = list(
            Activity.objects.filter(
                status=ActivityStatus.OPEN,
                reminder_at__lte=now,
                reminded_at__isnull=True,
                pk__gt=after,
            )
            .select_related("owner")
            .prefetch_related("attendees")
            .order_by("pk")[:batch]
        )
        for activity in due:
            after = activity.pk
            try:
                sent += _remind(activity, now)
            except Exception:  # one bad reminder must not hold up the others
                logger.exception("reminder of activity %s failed", activity.pk)
        if len(due) < batch:
            return sent


@transaction.atomic
def _remind(activity: Activity, now: dt.datetime) -> int:
    """Claim one activity's reminder and notify its people; 0 if another run claimed it."""
    claimed = Activity.all_objects.filter(pk=activity.pk, reminded_at__isnull=True).update(
        reminded_at=now
    )
    if not claimed:
        return 0
    people = {u.pk: u for u in activity.attendees.all()}
    if activity.owner is not None:
        people[activity.owner.pk] = activity.owner
    for user in people.values():
        notify(user, _reminder_text(activity, user), url=activity.get_absolute_url(), email=True)
    return len(people)


# --------------------------------------------------------------------------------------------
# calendar feed
# --------------------------------------------------------------------------------------------


def calendar_feed(user: Any) -> CalendarFeed:
    """The user's iCalendar feed (made on first use)."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def regenerate_calendar_feed(user: Any) -> CalendarFeed:
    """Give the user's feed a new secret address; the old one stops working at once."""
    from .models import _feed_token

    feed = calendar_feed(user)
    feed.token = _feed_token()
    feed.created_at = timezone.now()
    feed.save(update_fields=["token", "created_at"])
    return feed


# --------------------------------------------------------------------------------------------
# call outcomes (administrators)
# --------------------------------------------------------------------------------------------


def _require_outcome_admin(actor: Any) -> None:
    if not actor.is_admin_for("calloutcome"):
        raise PermissionDenied(_("Only administrators change call outcomes."))


OUTCOME_FIELDS = ("code", "label", "is_success", "schedules_callback", "order", "is_active")


@transaction.atomic
def save_call_outcome(
    actor: Any,
    outcome: CallOutcome | None,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> CallOutcome:
    """Create (``outcome`` None) or change a call outcome; administrators only."""
    from guanxi.core.errors import StaleVersion

    _require_outcome_admin(actor)
    unknown = set(data) - set(OUTCOME_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})
    if outcome is None:
        obj = CallOutcome(**data)
    else:
        obj = CallOutcome.objects.select_for_update().get(pk=outcome.pk)
        if expected_version is not None and obj.version != expected_version:
            raise StaleVersion(obj, expected_version)
        for name, value in data.items():
            setattr(obj, name, value)
        obj.version += 1
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def delete_call_outcome(
    actor: Any, outcome: CallOutcome, *, expected_version: int | None = None
) -> None:
    """Delete an outcome no call uses yet; one in use can only be made inactive."""
    from guanxi.core.errors import StaleVersion

    _require_outcome_admin(actor)
    current = CallOutcome.objects.select_for_update().get(pk=outcome.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current, expected_version)
    used = (
        Activity.all_objects.filter(outcome=current).exists()
        or CallListEntry.objects.filter(outcome=current).exists()
    )
    if used:
        raise ValidationError(
            {"code": _("Calls were logged with this outcome: make it inactive instead.")}
        )
    current.delete()


# --------------------------------------------------------------------------------------------
# call lists
# --------------------------------------------------------------------------------------------

#: The most records one call list takes; a larger filter should be narrowed (or split).
MAX_CALL_LIST_ENTRIES = 5000


@dataclass(frozen=True)
class _Requester:
    """What a FilterSet reads of a request: who is asking."""

    user: Any


def list_sources() -> dict[str, tuple[type[Record], type]]:
    """Object types a call list is built from, with their model and FilterSet."""
    from guanxi.customers.filters import AccountFilterSet, ContactFilterSet
    from guanxi.customers.models import Account, Contact
    from guanxi.leads.filters import LeadFilterSet
    from guanxi.leads.models import Lead

    return {
        "lead": (Lead, LeadFilterSet),
        "contact": (Contact, ContactFilterSet),
        "account": (Account, AccountFilterSet),
    }


def matching_records(actor: Any, object_type: str, query: str) -> models.QuerySet:
    """The records of ``object_type`` the actor may see that ``query`` (a list page's filter
    as a query string) selects, through that type's FilterSet, in a stable order."""
    sources = list_sources()
    if object_type not in sources:
        raise ValidationError({"record_type": _("Choose leads, contacts or accounts.")})
    model, filterset_class = sources[object_type]
    params = QueryDict((query or "").lstrip("?"), mutable=True)
    for key in ("page", "per_page", "columns", "saved", "sort"):
        params.pop(key, None)
    filterset = filterset_class(
        params, queryset=model.objects.visible_to(actor), request=_Requester(actor)
    )
    if not filterset.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(e) for e in errors)}"
            for name, errors in filterset.errors.items()
        )
        raise ValidationError({"query": _("The filter is not valid (%s).") % problems})
    qs = filterset.qs
    if "search_rank" in qs.query.annotations:
        return qs.order_by("-search_rank", "pk")
    return qs.order_by("pk")


def _source_query(actor: Any, plain: dict[str, Any]) -> None:
    """A saved view, when given, supplies the object type and the filter."""
    view = plain.get("saved_view")
    if view is None:
        return
    allowed = SavedView.objects.filter(pk=view.pk).filter(
        models.Q(user=actor) | models.Q(is_shared=True)
    )
    if not allowed.exists():
        raise ValidationError({"saved_view": _("Choose one of your saved views.")})
    if view.object_type not in list_sources():
        raise ValidationError(
            {"saved_view": _("Choose a saved view of leads, contacts or accounts.")}
        )
    plain["record_type"] = view.object_type
    if not plain.get("query"):
        plain["query"] = view.query


def _snapshot_entries(actor: Any, call_list: CallList) -> int:
    records = matching_records(actor, call_list.record_type, call_list.query)
    rows = list(records[: MAX_CALL_LIST_ENTRIES + 1])
    if len(rows) > MAX_CALL_LIST_ENTRIES:
        raise ValidationError(
            {
                "query": _(
                    "The filter selects more than %(max)s records: narrow it, or build "
                    "several lists."
                )
                % {"max": MAX_CALL_LIST_ENTRIES}
            }
        )
    if not rows:
        raise ValidationError({"query": _("The filter selects no record you can see.")})
    content_type = ContentType.objects.get_for_model(type(rows[0]))
    CallListEntry.objects.bulk_create(
        [
            CallListEntry(
                call_list=call_list,
                position=position,
                content_type=content_type,
                object_id=record.pk,
                label=str(record)[:300],
            )
            for position, record in enumerate(rows, start=1)
        ],
        batch_size=1000,
    )
    CallList.all_objects.filter(pk=call_list.pk).update(built_at=timezone.now())
    return len(rows)


@transaction.atomic
def create_call_list(actor: Any, data: Mapping[str, Any], *, owner: Any = "actor") -> CallList:
    """Build a call list from a filter (an object type and a query string, or a saved view).

    The records the actor may see that match at this moment are written as the list's entries,
    in a stable order; later changes to the records do not change the list.
    """
    plain = dict(data)
    _source_query(actor, plain)
    call_list = core.create_record(actor, CallList, plain, owner=owner)
    count = _snapshot_entries(actor, call_list)
    call_list.refresh_from_db()
    call_list.entry_total = count
    return call_list


@transaction.atomic
def update_call_list(
    actor: Any, call_list: CallList, data: Mapping[str, Any], *, expected_version: int | None
) -> CallList:
    """Rename a call list or change its script; its entries stay as they were built."""
    for name in ("record_type", "query", "saved_view"):
        if name in data and data[name] != getattr(call_list, name):
            raise ValidationError(
                {name: _("A built list keeps its filter; build a new list for another one.")}
            )
    plain = {k: v for k, v in data.items() if k not in ("record_type", "query", "saved_view")}
    return core.update_record(actor, call_list, plain, expected_version=expected_version)


@transaction.atomic
def delete_call_list(
    actor: Any, call_list: CallList, *, expected_version: int | None
) -> DeletedRecord:
    """Move a call list (with its entries) to the recycle bin; the calls logged stay."""
    return core.delete_record(actor, call_list, expected_version=expected_version)


def entry_record(actor: Any, entry: CallListEntry) -> Record | None:
    """The record an entry names, if the actor may see it (and it still exists)."""
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    if model is None:
        return None
    return model.objects.visible_to(actor).filter(pk=entry.object_id).first()


def _locked_pending_entry(actor: Any, entry: CallListEntry) -> CallListEntry:
    call_list = CallList.objects.visible_to(actor).filter(pk=entry.call_list_id).first()
    if call_list is None:
        raise Http404(_("No such record."))
    core.require_editable(actor, call_list)
    current = CallListEntry.objects.select_for_update().get(pk=entry.pk)
    if current.status != EntryStatus.PENDING:
        raise ValidationError({"status": _("This call was logged already.")})
    current.call_list = call_list
    return current


@transaction.atomic
def log_list_call(
    actor: Any,
    entry: CallListEntry,
    *,
    outcome: CallOutcome,
    notes: str = "",
    next_call_at: dt.datetime | None = None,
) -> CallListEntry:
    """Log the call made to one entry of a list.

    The call becomes a completed call activity on the record (so it is on its timeline, and a
    lead is marked contacted); a next call, when given (and an outcome that asks for one needs
    it), becomes an open call activity at that time.
    """
    core.require_action(actor, "activity", Action.CREATE)
    current = _locked_pending_entry(actor, entry)
    if outcome is None:
        raise ValidationError({"outcome": _("Choose how the call went.")})
    if not outcome.is_active:
        raise ValidationError({"outcome": _("This outcome is no longer in use.")})
    now = timezone.now()
    if outcome.schedules_callback and next_call_at is None:
        raise ValidationError({"next_call_at": _("This outcome needs the time of the next call.")})
    if next_call_at is not None and next_call_at <= now:
        raise ValidationError({"next_call_at": _("The next call must be in the future.")})
    record = entry_record(actor, current)
    if record is None:
        raise ValidationError(
            {"status": _("You cannot see this record (any more): skip it instead.")}
        )
    call = log_call(actor, record, outcome=outcome, notes=notes, at=now)
    next_call = None
    if next_call_at is not None:
        next_call = create_activity(
            actor,
            {
                "kind": ActivityKind.CALL,
                "subject": (_("Call back %(name)s") % {"name": record})[:200],
                "due_at": next_call_at,
                "related": record,
                "description": notes,
                "reminder_at": next_call_at - dt.timedelta(minutes=10),
            },
        )
    CallListEntry.objects.filter(pk=current.pk).update(
        status=EntryStatus.DONE,
        outcome=outcome,
        notes=notes,
        called_at=now,
        caller=actor,
        activity=call,
        next_activity=next_call,
        next_call_at=next_call_at,
    )
    current.refresh_from_db()
    return current


@transaction.atomic
def skip_list_entry(actor: Any, entry: CallListEntry, *, notes: str = "") -> CallListEntry:
    """Pass over an entry without calling (a wrong record, someone not to call)."""
    current = _locked_pending_entry(actor, entry)
    CallListEntry.objects.filter(pk=current.pk).update(
        status=EntryStatus.SKIPPED, notes=notes, caller=actor, called_at=timezone.now()
    )
    current.refresh_from_db()
    return current


# --------------------------------------------------------------------------------------------
# call scripts
# --------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def script_values(record: Record | None, caller: Any) -> dict[str, str]:
    """What a call script's placeholders stand for, for one record and caller."""
    values = {"me": str(caller) if caller is not None else ""}
    if record is None:
        return values
    object_type = record._meta.model_name
    if object_type == "lead":
        values.update(name=record.person_name, company=record.company, title=record.title)
    elif object_type == "contact":
        account = getattr(record, "account", None)
        values.update(name=record.name, company=account.name if account else "", title=record.title)
    else:
        values.update(name=str(record), company=str(record), title="")
    values["first_name"] = values.get("name", "")
    return values


def fill_script(script: str, values: Mapping[str, str]) -> str:
    """The script with ``{name}``-style placeholders filled; unknown ones are left as typed."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        return values.get(key, match.group(0)) if key in values else match.group(0)

    return _PLACEHOLDER.sub(replace, script or "")


def phone_numbers(record: Record | None) -> list[tuple[str, str]]:
    """(label, number) of a record's phones, mobile first."""
    if record is None:
        return []
    numbers = []
    for attr, label in (("mobile", _("Mobile")), ("phone", _("Phone"))):
        value = getattr(record, attr, "") or ""
        if value:
            numbers.append((label, value))
    return numbers


def tel_href(number: str) -> str:
    """A ``tel:`` address for a number as people write it (spaces and dashes dropped)."""
    return "tel:" + re.sub(r"[^\d+]", "", number)
