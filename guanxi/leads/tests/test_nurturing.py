"""Nurturing sequences: steps run on time, stop on reply, conversion and opt-out, and never
email a lead that opted out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from guanxi.core.models import ChangeLogEntry, Note
from guanxi.core.tests.factories import make_user
from guanxi.leads import nurturing, services
from guanxi.leads.models import Enrollment, Lead, Sequence

pytestmark = pytest.mark.django_db

EMAIL_THEN_WAIT_THEN_EMAIL = [
    {"kind": "email", "subject": "Hello {name}", "body": "Dear {name} of {company}, welcome."},
    {"kind": "wait", "wait_days": 2},
    {"kind": "email", "subject": "Still interested, {name}?", "body": "Just checking in."},
]


def make_lead(actor, **data):
    data.setdefault("person_name", "Alice")
    data.setdefault("company", "Acme")
    data.setdefault("email", "alice@example.com")
    return services.create_lead(actor, data, assign=False)


@pytest.fixture
def welcome(org):
    return nurturing.create_sequence(org.admin, {"name": "Welcome"}, EMAIL_THEN_WAIT_THEN_EMAIL)


@pytest.fixture
def enrol(django_capture_on_commit_callbacks):
    """Enrol leads and run what is due at once (the first step), as after the commit."""

    def run(actor, sequence, leads):
        with django_capture_on_commit_callbacks(execute=True):
            return nurturing.enroll_leads(actor, sequence, leads)

    return run


def test_email_wait_email_sends_at_once_then_on_day_two_then_completes(org, welcome, enrol):
    # given a lead
    lead = make_lead(org.east_rep)
    enrolled_at = timezone.now()
    # when the rep enrols it
    result = enrol(org.east_rep, welcome, [lead])
    # then the first email goes at once, with the placeholders filled
    assert [e.lead_id for e in result.enrolled] == [lead.pk]
    assert len(mail.outbox) == 1
    first = mail.outbox[0]
    assert first.to == ["alice@example.com"]
    assert first.subject == "Hello Alice"
    assert first.body.startswith("Dear Alice of Acme, welcome.")
    assert "unsubscribe" in first.body
    enrollment = Enrollment.objects.get()
    assert enrollment.next_step == 1
    assert enrolled_at + timedelta(days=2) <= enrollment.next_run_at
    # when the job runs on day 1, nothing is sent
    done = nurturing.run_due_enrollments(enrolled_at + timedelta(days=1))
    assert done["due"] == 0
    assert len(mail.outbox) == 1
    # when it runs on day 2, the second email goes and the enrolment completes
    day_two = enrollment.next_run_at + timedelta(minutes=1)
    done = nurturing.run_due_enrollments(day_two)
    assert done["email"] == 1 and done["wait"] == 1 and done["completed"] == 1
    assert [m.subject for m in mail.outbox] == ["Hello Alice", "Still interested, Alice?"]
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    # and nothing more is ever sent
    nurturing.run_due_enrollments(day_two + timedelta(days=30))
    assert len(mail.outbox) == 2


def test_each_email_is_logged_on_the_leads_timeline(org, welcome, enrol):
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    note = Note.objects.get(content_type=ContentType.objects.get_for_model(Lead), object_id=lead.pk)
    assert note.kind == Note.Kind.EMAIL
    assert note.direction == Note.Direction.OUTBOUND
    assert note.subject == "Hello Alice"
    assert "Dear Alice of Acme" in note.body
    assert "Welcome" in note.body  # which sequence sent it
    # the owner sees it on the timeline like any entry, and it is in the change log
    assert Note.objects.visible_to(org.east_rep).filter(pk=note.pk).exists()
    assert ChangeLogEntry.objects.filter(
        object_type="note", object_id=note.pk, parent_type="lead", parent_id=lead.pk
    ).exists()


def test_a_reply_stops_the_sequence(org, welcome, enrol):
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    # when the lead replies
    services.record_behaviour(lead, "email_reply")
    # then its enrolment stops and the second email never goes
    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stop_reason == "replied"
    nurturing.run_due_enrollments(timezone.now() + timedelta(days=3))
    assert len(mail.outbox) == 1


def test_conversion_stops_the_sequence(org, welcome, enrol):
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    services.convert_lead(org.east_rep, lead)
    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stop_reason == "converted"
    nurturing.run_due_enrollments(timezone.now() + timedelta(days=3))
    assert len(mail.outbox) == 1


def test_an_unsubscribe_stops_the_sequence(org, welcome, enrol):
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    services.record_behaviour(lead, "unsubscribed")
    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stop_reason == "opted_out"
    nurturing.run_due_enrollments(timezone.now() + timedelta(days=3))
    assert len(mail.outbox) == 1


def test_disqualification_stops_the_sequence(org, welcome, enrol):
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    services.disqualify_lead(org.east_rep, lead, "No budget")
    assert Enrollment.objects.get().status == Enrollment.Status.STOPPED


def test_a_lead_that_opted_out_is_never_emailed(org, welcome, enrol):
    # given a lead enrolled, then marked opted out by an edit (no behaviour recorded)
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    lead.refresh_from_db()
    services.update_lead(org.east_rep, lead, {"opted_out": True}, expected_version=lead.version)
    # when the wait is over
    nurturing.run_due_enrollments(timezone.now() + timedelta(days=3))
    # then no second email goes and the enrolment stops
    assert len(mail.outbox) == 1
    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.STOPPED
    assert enrollment.stop_reason == "opted_out"


def test_enrolment_skips_opted_out_converted_disqualified_enrolled_and_others_leads(
    org, welcome, enrol
):
    open_lead = make_lead(org.east_rep)
    opted_out = make_lead(org.east_rep, person_name="Bob", opted_out=True)
    converted = make_lead(org.east_rep, person_name="Carol", email="carol@example.com")
    services.convert_lead(org.east_rep, converted)
    disqualified = make_lead(org.east_rep, person_name="Dan")
    services.disqualify_lead(org.east_rep, disqualified, "Student")
    west_lead = make_lead(org.west_rep, person_name="Eve")
    enrol(org.east_rep, welcome, [open_lead])
    mail.outbox.clear()
    # when the rep enrols all of them
    result = enrol(
        org.east_rep,
        welcome,
        [open_lead, opted_out, converted, disqualified, west_lead.pk, 999999],
    )
    # then none is enrolled, each with its reason, and nobody is emailed
    assert result.enrolled == []
    assert result.skipped == {
        open_lead.pk: "already_enrolled",
        opted_out.pk: "opted_out",
        converted.pk: "converted",
        disqualified.pk: "disqualified",
        west_lead.pk: "not_found",
        999999: "not_found",
    }
    assert mail.outbox == []
    assert Enrollment.objects.count() == 1


def test_a_lead_visible_but_not_editable_is_skipped_as_such(org, welcome, enrol):
    from guanxi.core.services import share_record

    lead = make_lead(org.east_rep)
    share_record(org.east_rep, lead, user=org.west_rep, access="read")
    result = enrol(org.west_rep, welcome, [lead])
    assert result.skipped == {lead.pk: "not_editable"}


def test_enrolment_is_in_the_leads_history(org, welcome, enrol):
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    entry = ChangeLogEntry.objects.filter(object_type="lead", object_id=lead.pk).first()
    assert entry.changes == {"sequence": [None, "Welcome"]}
    assert entry.actor == org.east_rep


def test_a_task_step_becomes_an_activity_for_the_leads_owner(org, enrol):
    from guanxi.activities.models import Activity

    sequence = nurturing.create_sequence(
        org.admin,
        {"name": "Call"},
        [{"kind": "task", "subject": "Call {name}", "body": "Ask {name} about the trial."}],
    )
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, sequence, [lead])
    activity = Activity.objects.get()
    assert activity.owner == org.east_rep
    assert activity.kind == "task"
    assert activity.subject == "Call Alice"
    assert activity.description == "Ask Alice about the trial."
    assert activity.object_id == lead.pk
    assert Enrollment.objects.get().status == Enrollment.Status.COMPLETED
    assert mail.outbox == []


def test_an_inactive_sequence_takes_no_leads_and_pauses_its_enrolments(org, welcome, enrol):
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    welcome.refresh_from_db()
    nurturing.update_sequence(
        org.admin, welcome, {"is_active": False}, expected_version=welcome.version
    )
    nurturing.run_due_enrollments(timezone.now() + timedelta(days=3))
    assert len(mail.outbox) == 1
    assert Enrollment.objects.get().status == Enrollment.Status.ACTIVE
    with pytest.raises(ValidationError):
        nurturing.enroll_leads(org.east_rep, welcome, [make_lead(org.east_rep, person_name="Z")])


def test_a_lead_without_email_goes_on_to_its_next_step(org, welcome, enrol):
    lead = make_lead(org.east_rep, email="")
    enrol(org.east_rep, welcome, [lead])
    assert mail.outbox == []
    assert Enrollment.objects.get().next_step == 1


def test_administrators_and_marketing_build_sequences_others_may_not(org):
    marketer = make_user("marketing", team=org.east, username="marketer")
    made = nurturing.create_sequence(
        marketer, {"name": "Trade show"}, [{"kind": "email", "subject": "Hi", "body": "Hello"}]
    )
    assert list(made.steps.values_list("kind", flat=True)) == ["email"]
    for user in (org.director, org.east_rep, org.read_only):
        with pytest.raises(PermissionDenied):
            nurturing.create_sequence(user, {"name": "Mine"}, [{"kind": "wait", "wait_days": 1}])


def test_steps_are_checked_and_errors_name_the_step(org):
    with pytest.raises(ValidationError) as caught:
        nurturing.create_sequence(
            org.admin,
            {"name": "Bad"},
            [
                {"kind": "email", "subject": "No text"},
                {"kind": "wait", "wait_days": 0},
                {"kind": "fax", "subject": "x"},
            ],
        )
    messages = caught.value.message_dict["steps"]
    assert [m.split(":")[0] for m in messages] == ["Step 1", "Step 2", "Step 3"]
    with pytest.raises(ValidationError):
        nurturing.create_sequence(org.admin, {"name": "Empty"}, [])
    assert not Sequence.objects.exists()


def test_an_update_on_an_old_version_is_refused(org, welcome):
    from guanxi.core.errors import StaleVersion

    nurturing.update_sequence(org.admin, welcome, {"name": "Welcome 2"}, expected_version=1)
    with pytest.raises(StaleVersion):
        nurturing.update_sequence(org.admin, welcome, {"name": "Mine"}, expected_version=1)


def test_a_sequence_with_leads_in_it_cannot_be_deleted(org, welcome, enrol):
    enrol(org.east_rep, welcome, [make_lead(org.east_rep)])
    with pytest.raises(ValidationError):
        nurturing.delete_sequence(org.admin, welcome, expected_version=None)
    Enrollment.objects.update(status=Enrollment.Status.STOPPED)
    nurturing.delete_sequence(org.admin, welcome, expected_version=None)
    assert not Sequence.objects.exists()


def test_a_lead_is_written_to_in_its_language():
    assert nurturing.lead_language(Lead(person_name="张伟", company="")) == "zh-hans"
    assert nurturing.lead_language(Lead(person_name="Li Wei", company="星河贸易")) == "zh-hans"
    assert nurturing.lead_language(Lead(person_name="Alice", company="Acme")) == "en"


def test_the_email_links_to_unsubscribe_when_the_public_url_is_set(org, welcome, enrol, settings):
    settings.GUANXI_PUBLIC_URL = "https://crm.example.com/"
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    message = mail.outbox[0]
    url = nurturing.unsubscribe_url(lead)
    assert url.startswith("https://crm.example.com/sequences/unsubscribe/")
    assert url in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert nurturing.lead_for_token(url.rstrip("/").rsplit("/", 1)[1]) == lead
    assert nurturing.lead_for_token("forged") is None


def test_the_reply_goes_to_the_leads_owner(org, welcome, enrol):
    lead = make_lead(org.east_rep)
    enrol(org.east_rep, welcome, [lead])
    assert mail.outbox[0].reply_to == [org.east_rep.email]


def test_run_sequences_command_runs_what_is_due(org, welcome, enrol):
    from io import StringIO

    from django.core.management import call_command

    lead = make_lead(org.east_rep)
    nurturing.enroll_leads(org.east_rep, welcome, [lead])  # first step not yet run
    out = StringIO()
    call_command("run_sequences", stdout=out)
    assert "Due 1: 1 emails" in out.getvalue()
    assert len(mail.outbox) == 1


def test_a_task_the_owner_may_not_create_is_written_on_the_timeline_instead(org, enrol):
    from guanxi.activities.models import Activity

    sequence = nurturing.create_sequence(
        org.admin, {"name": "Call"}, [{"kind": "task", "subject": "Call {name}"}]
    )
    lead = make_lead(org.east_rep)
    # given a lead owned by someone without the right to create activities
    Lead.all_objects.filter(pk=lead.pk).update(owner=org.read_only)
    enrol(org.admin, sequence, [lead])
    assert not Activity.objects.exists()
    note = Note.objects.get(object_id=lead.pk, kind=Note.Kind.NOTE)
    assert note.subject == "Call Alice"
    assert "Call" in note.body
    assert Enrollment.objects.get().status == Enrollment.Status.COMPLETED
