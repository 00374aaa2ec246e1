"""Activity services: create, update with the version check, complete, cancel, delete."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from guanxi.activities import services
from guanxi.activities.models import Activity, ActivityStatus
from guanxi.core import events
from guanxi.core.errors import StaleVersion
from guanxi.core.models import ChangeLogEntry, DeletedRecord, Note
from guanxi.core.services import restore_record
from guanxi.customers.services import create_contact
from guanxi.leads.models import Lead, LeadStatus
from guanxi.sales.tests.helpers import make_opp

from .helpers import make_account, make_activity, make_lead, outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured():
    """Domain events delivered after commit, by name."""
    seen = []

    def handler(event):
        seen.append(event)

    events.subscribe("*", handler)
    yield seen
    events.unsubscribe("*", handler)


def test_create_activity_on_an_account_records_the_relation_and_account(org):
    account = make_account(org.east_rep)

    task = make_activity(org.east_rep, "Send the quote", related=account, priority="high")

    assert task.owner == org.east_rep
    assert task.team == org.east
    assert task.related == account
    assert task.account_id == account.pk
    assert task.status == ActivityStatus.OPEN
    assert ChangeLogEntry.objects.filter(object_type="activity", object_id=task.pk).exists()


def test_activity_on_a_contact_or_opportunity_points_to_their_account(org):
    account = make_account(org.east_rep)
    contact = create_contact(org.east_rep, {"name": "李雷", "account": account})
    opportunity = make_opp(org.east_rep, account)

    on_contact = make_activity(org.east_rep, related=contact)
    on_opportunity = make_activity(org.east_rep, related=opportunity)

    assert on_contact.account_id == account.pk
    assert on_opportunity.account_id == account.pk


def test_create_emits_activity_created(org, django_capture_on_commit_callbacks, captured):
    with django_capture_on_commit_callbacks(execute=True):
        task = make_activity(org.east_rep)

    assert [e.object_id for e in captured if e.name == "activity.created"] == [task.pk]


def test_meeting_takes_its_start_as_due_time_and_needs_one(org):
    start = timezone.now() + dt.timedelta(days=1)

    meeting = make_activity(
        org.east_rep,
        "Kick-off",
        kind="meeting",
        due_at=None,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        attendees=[org.east_rep2],
    )

    assert meeting.due_at == start
    assert list(meeting.attendees.all()) == [org.east_rep2]
    with pytest.raises(ValidationError) as error:
        make_activity(org.east_rep, "No time", kind="visit", due_at=None)
    assert "start_at" in error.value.message_dict


def test_meeting_that_ends_before_it_starts_is_refused(org):
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        make_activity(
            org.east_rep, kind="meeting", start_at=start, end_at=start - dt.timedelta(hours=1)
        )
    assert "end_at" in error.value.message_dict


def test_tasks_have_no_attendees(org):
    with pytest.raises(ValidationError) as error:
        make_activity(org.east_rep, kind="task", attendees=[org.east_rep2])
    assert "attendees" in error.value.message_dict


def test_activity_on_a_record_the_actor_cannot_see_is_refused(org):
    theirs = make_account(org.west_rep, "Theirs")
    with pytest.raises(ValidationError) as error:
        make_activity(org.east_rep, related=theirs)
    assert "object_id" in error.value.message_dict
    assert not Activity.objects.exists()


def test_reminder_minutes_before_sets_the_reminder_time(org):
    due = timezone.now() + dt.timedelta(hours=3)

    task = make_activity(org.east_rep, due_at=due, reminder_minutes=30)

    assert task.reminder_at == due - dt.timedelta(minutes=30)


def test_read_only_user_cannot_create(org):
    with pytest.raises(PermissionDenied):
        make_activity(org.read_only)


def test_update_is_version_checked(org):
    task = make_activity(org.east_rep)
    services.update_activity(org.east_rep, task, {"subject": "New"}, expected_version=1)

    with pytest.raises(StaleVersion):
        services.update_activity(org.east_rep, task, {"subject": "Old"}, expected_version=1)
    assert Activity.objects.get(pk=task.pk).subject == "New"


def test_update_cannot_change_the_status(org):
    task = make_activity(org.east_rep)
    with pytest.raises(ValidationError) as error:
        services.update_activity(org.east_rep, task, {"status": "done"}, expected_version=1)
    assert "status" in error.value.message_dict


def test_changing_the_reminder_time_arms_it_again(org):
    task = make_activity(org.east_rep, reminder_at=timezone.now() - dt.timedelta(minutes=1))
    services.send_reminders()
    assert Activity.objects.get(pk=task.pk).reminded_at is not None

    updated = services.update_activity(
        org.east_rep,
        Activity.objects.get(pk=task.pk),
        {"reminder_at": timezone.now() + dt.timedelta(hours=1)},
        expected_version=task.version,
    )

    assert Activity.objects.get(pk=updated.pk).reminded_at is None


def test_completing_a_call_on_a_lead_marks_it_contacted_and_logs_a_note(org):
    lead = make_lead(org.east_rep)
    assert lead.status == LeadStatus.NEW
    call = make_activity(org.east_rep, "First call", kind="call", related=lead)

    done = services.complete_activity(
        org.east_rep, call, outcome=outcome("interested"), result="Wants a demo next week"
    )

    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.CONTACTED
    assert lead.first_contacted_at is not None
    note = Note.objects.get(content_type=ContentType.objects.get_for_model(Lead), object_id=lead.pk)
    assert note.kind == "call"
    assert note.subject == "First call"
    assert "Wants a demo next week" in note.body
    assert done.status == ActivityStatus.DONE
    assert done.done_at is not None
    assert Activity.objects.get(pk=call.pk).note_id == note.pk


def test_completing_a_visit_logs_a_visit_note_with_its_duration(org):
    account = make_account(org.east_rep)
    start = timezone.now() - dt.timedelta(hours=2)
    visit = make_activity(
        org.east_rep,
        kind="visit",
        related=account,
        start_at=start,
        end_at=start + dt.timedelta(minutes=90),
    )

    services.complete_activity(org.east_rep, visit, result="Met the buyer")

    note = Note.objects.get(object_id=account.pk)
    assert (note.kind, note.duration_minutes) == ("visit", 90)


def test_completing_a_task_logs_nothing_on_the_timeline(org):
    lead = make_lead(org.east_rep)
    task = make_activity(org.east_rep, kind="task", related=lead)

    services.complete_activity(org.east_rep, task)

    assert not Note.objects.exists()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_complete_emits_activity_completed(org, django_capture_on_commit_callbacks, captured):
    call = make_activity(org.east_rep, kind="call")
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_activity(org.east_rep, call, outcome=outcome("no_answer"))

    completed = [e for e in captured if e.name == "activity.completed"]
    assert [(e.object_id, e.payload["outcome"]) for e in completed] == [(call.pk, "no_answer")]


def test_only_an_open_activity_is_completed_or_cancelled(org):
    task = make_activity(org.east_rep)
    done = services.complete_activity(org.east_rep, task)

    with pytest.raises(ValidationError):
        services.complete_activity(org.east_rep, done)
    with pytest.raises(ValidationError):
        services.cancel_activity(org.east_rep, done)


def test_cancel_marks_it_cancelled(org):
    task = make_activity(org.east_rep)

    cancelled = services.cancel_activity(org.east_rep, task, reason="Customer away")

    assert cancelled.status == ActivityStatus.CANCELLED
    assert cancelled.result == "Customer away"


def test_complete_with_a_stale_version_is_refused(org):
    task = make_activity(org.east_rep)
    services.update_activity(org.east_rep, task, {"subject": "Changed"}, expected_version=1)

    with pytest.raises(StaleVersion):
        services.complete_activity(org.east_rep, task, expected_version=1)


def test_delete_goes_to_the_recycle_bin_and_restores(org):
    task = make_activity(org.east_rep)

    entry = services.delete_activity(org.east_rep, task, expected_version=task.version)

    assert not Activity.objects.filter(pk=task.pk).exists()
    assert DeletedRecord.objects.filter(object_type="activity", object_id=task.pk).exists()
    restore_record(org.east_rep, entry)
    assert Activity.objects.filter(pk=task.pk).exists()


def test_who_sees_the_record_sees_its_activities(org):
    account = make_account(org.east_rep)
    task = make_activity(org.east_rep, related=account)
    from guanxi.core.services import share_record

    share_record(org.east_rep, account, user=org.west_rep, access="read")

    assert Activity.objects.visible_to(org.west_rep).filter(pk=task.pk).exists()
    assert not Activity.objects.editable_by(org.west_rep).filter(pk=task.pk).exists()


def test_attendees_see_the_meeting(org):
    start = timezone.now() + dt.timedelta(days=1)
    meeting = make_activity(org.east_rep, kind="meeting", start_at=start, attendees=[org.west_rep])

    assert Activity.objects.visible_to(org.west_rep).filter(pk=meeting.pk).exists()
    assert not Activity.objects.visible_to(org.east_rep2).filter(pk=meeting.pk).exists()
