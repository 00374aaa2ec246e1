"""Reminders: the scheduled job notifies in the app and by email, once per activity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from guanxi.activities import services, tasks
from guanxi.activities.models import Activity
from guanxi.core.models import Notification

from .helpers import make_activity

pytestmark = pytest.mark.django_db


def past(minutes: int = 1) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


def test_reminder_job_notifies_once_and_sends_one_email(org, django_capture_on_commit_callbacks):
    task = make_activity(
        org.east_rep,
        "Send the contract",
        due_at=timezone.now() + dt.timedelta(minutes=10),
        reminder_at=past(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = services.send_reminders()
    with django_capture_on_commit_callbacks(execute=True):
        second = services.send_reminders()

    assert (first, second) == (1, 0)
    (note,) = Notification.objects.filter(user=org.east_rep)
    assert "Send the contract" in note.text
    assert note.url == task.get_absolute_url()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [org.east_rep.email]
    assert "Send the contract" in mail.outbox[0].subject
    assert Activity.objects.get(pk=task.pk).reminded_at is not None


def test_reminder_not_yet_due_waits(org):
    make_activity(org.east_rep, reminder_at=timezone.now() + dt.timedelta(minutes=5))

    assert services.send_reminders() == 0
    assert not Notification.objects.exists()


def test_done_or_cancelled_activities_are_not_reminded(org):
    done = make_activity(org.east_rep, reminder_at=past())
    services.complete_activity(org.east_rep, done)
    called_off = make_activity(org.east_rep, reminder_at=past())
    services.cancel_activity(org.east_rep, called_off)

    assert services.send_reminders() == 0


def test_meeting_reminder_reaches_the_attendees_too(org):
    start = timezone.now() + dt.timedelta(minutes=15)
    make_activity(
        org.east_rep,
        "Weekly review",
        kind="meeting",
        start_at=start,
        attendees=[org.east_rep2],
        reminder_minutes=30,
    )

    services.send_reminders()

    assert set(Notification.objects.values_list("user__username", flat=True)) == {
        org.east_rep.username,
        org.east_rep2.username,
    }


def test_reminder_text_is_in_the_users_language_and_time_zone(org):
    org.east_rep.language = "zh-hans"
    org.east_rep.time_zone = "Asia/Shanghai"
    org.east_rep.save()
    make_activity(
        org.east_rep,
        "年度合同",
        due_at=dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC),
        reminder_at=past(),
    )

    services.send_reminders()

    text = Notification.objects.get().text
    assert "年度合同" in text
    assert "2026" in text and "01:30" in text  # 17:30 UTC is 01:30 the next day in Shanghai


def test_reminders_run_as_a_command_and_as_a_task(org):
    make_activity(org.east_rep, reminder_at=past())
    make_activity(org.east_rep, reminder_at=past())

    call_command("send_reminders")
    assert Notification.objects.count() == 2
    make_activity(org.east_rep, reminder_at=past())
    assert tasks.send_reminders() == 1


def test_reminders_are_scheduled_with_celery_beat(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert any(
        entry["task"] == "guanxi.activities.tasks.send_reminders" for entry in schedule.values()
    )


# -- the notifications menu ---------------------------------------------------------------------


def test_menu_counts_unread_and_marks_all_read(client, org):
    make_activity(org.east_rep, "First", reminder_at=past())
    make_activity(org.east_rep, "Second", reminder_at=past())
    services.send_reminders()
    client.force_login(org.east_rep)

    menu = client.get(reverse("activities:notifications-menu"), HTTP_HX_REQUEST="true")
    assert menu.context["unread"] == 2
    assert 'id="notifications-count"' in menu.content.decode()

    after = client.post(reverse("activities:notifications-read"), HTTP_HX_REQUEST="true")
    assert after.context["unread"] == 0
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_opening_a_notification_marks_it_read_and_follows_it(client, org):
    task = make_activity(org.east_rep, reminder_at=past())
    services.send_reminders()
    note = Notification.objects.get()
    client.force_login(org.east_rep)

    response = client.get(reverse("activities:notification-open", args=[note.pk]))

    assert response.url == task.get_absolute_url()
    assert Notification.objects.get(pk=note.pk).read_at is not None


def test_someone_elses_notification_is_404(client, org):
    make_activity(org.east_rep, reminder_at=past())
    services.send_reminders()
    note = Notification.objects.get()
    client.force_login(org.west_rep)

    response = client.get(reverse("activities:notification-open", args=[note.pk]))

    assert response.status_code == 404
    assert Notification.objects.get(pk=note.pk).read_at is None


def test_header_loads_the_notifications_menu(client, org):
    client.force_login(org.east_rep)

    page = client.get(reverse("home"))

    assert reverse("activities:notifications-menu") in page.content.decode()


def test_a_failing_reminder_does_not_hold_up_the_others(org, monkeypatch):
    broken = make_activity(org.east_rep, "Broken", reminder_at=past(2))
    fine = make_activity(org.east_rep, "Fine", reminder_at=past(1))
    real = services._reminder_text

    def text(activity, user):
        if activity.pk == broken.pk:
            raise RuntimeError("boom")
        return real(activity, user)

    monkeypatch.setattr(services, "_reminder_text", text)

    assert services.send_reminders() == 1
    assert Activity.objects.get(pk=broken.pk).reminded_at is None  # tried again next run
    assert Activity.objects.get(pk=fine.pk).reminded_at is not None
