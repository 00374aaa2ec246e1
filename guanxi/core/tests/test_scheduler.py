"""The periodic tasks without Celery beat (guanxi.core.scheduler)."""

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from guanxi.core import scheduler
from guanxi.core.api.testing import client_for
from guanxi.core.models import DeletedRecord, Job, ScheduledTask
from guanxi.customers.models import Account
from guanxi.customers.services import create_account, delete_account

pytestmark = pytest.mark.django_db

CALLS: list[tuple] = []


def record_call(*args):
    """A periodic task of the tests' schedule: notes that it ran and with what."""
    CALLS.append(args)
    return {"seen": len(args)}


def fail_always():
    raise RuntimeError("the mail server is down")


@pytest.fixture
def schedule(settings):
    CALLS.clear()
    settings.CELERY_BEAT_SCHEDULE = {
        "hourly": {"task": f"{__name__}.record_call", "args": ["a", 1], "schedule": 3600},
        "daily": {"task": f"{__name__}.record_call", "schedule": dt.timedelta(days=1)},
    }
    settings.SCHEDULE_LABELS = {"hourly": "Every hour"}
    return settings.CELERY_BEAT_SCHEDULE


T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def test_every_task_runs_once_per_interval(schedule):
    assert scheduler.run_due(T0) == ["hourly", "daily"]
    assert CALLS == [("a", 1), ()]
    assert scheduler.run_due(T0 + dt.timedelta(minutes=59)) == []
    assert scheduler.run_due(T0 + dt.timedelta(hours=1)) == ["hourly"]
    assert scheduler.run_due(T0 + dt.timedelta(hours=23)) == ["hourly"]
    assert scheduler.run_due(T0 + dt.timedelta(hours=23, minutes=30)) == []
    assert scheduler.run_due(T0 + dt.timedelta(days=1)) == ["hourly", "daily"]
    hourly = ScheduledTask.objects.get(name="hourly")
    assert hourly.run_count == 4
    assert hourly.last_started_at == T0 + dt.timedelta(days=1)
    assert hourly.last_status == "done"
    assert hourly.last_message == "seen 2"
    assert hourly.last_finished_at is not None


def test_a_turn_is_taken_once_whoever_asks(schedule):
    entry = scheduler.entries()[0]
    assert scheduler.claim(entry, T0) is True
    # a second process (cron beside the server) asking for the same turn gets nothing
    assert scheduler.claim(entry, T0 + dt.timedelta(seconds=5)) is False
    assert scheduler.claim(entry, T0 + dt.timedelta(hours=1)) is True


def test_a_failing_task_is_recorded_and_the_others_still_run(schedule, settings, caplog):
    settings.CELERY_BEAT_SCHEDULE = {
        "broken": {"task": f"{__name__}.fail_always", "schedule": 60},
        **schedule,
    }
    assert scheduler.run_due(T0) == ["broken", "hourly", "daily"]
    broken = ScheduledTask.objects.get(name="broken")
    assert broken.last_status == "failed"
    assert broken.last_message == "RuntimeError: the mail server is down"
    assert "scheduled task broken" in caplog.text
    assert len(CALLS) == 2
    # its next turn comes as usual
    assert scheduler.run_due(T0 + dt.timedelta(seconds=60)) == ["broken"]


def test_the_real_schedule_purges_the_recycle_bin(org, settings):
    """Issue 3: deleted records are purged after the retention period by a scheduled job, in
    the embedded default too (no Celery beat)."""
    settings.GUANXI_RECYCLE_BIN_DAYS = 30
    old = create_account(org.east_rep, {"name": "Old"})
    new = create_account(org.east_rep, {"name": "New"})
    entry = delete_account(org.east_rep, old, expected_version=old.version)
    delete_account(org.east_rep, new, expected_version=new.version)
    DeletedRecord.objects.filter(pk=entry.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=31)
    )
    settings.CELERY_BEAT_SCHEDULE = {
        "purge-recycle-bin": settings.CELERY_BEAT_SCHEDULE["purge-recycle-bin"]
    }
    assert scheduler.run_due() == ["purge-recycle-bin"]
    assert not Account.all_objects.filter(pk=old.pk).exists()
    assert Account.all_objects.filter(pk=new.pk).exists()
    assert ScheduledTask.objects.get(name="purge-recycle-bin").last_message == "1"


def test_every_entry_of_the_shipped_schedule_is_what_celery_beat_would_run(settings):
    for entry in scheduler.entries():
        task = entry.callable()
        # the names Celery beat sends are the import paths the scheduler calls
        assert getattr(task, "name", entry.task) == entry.task
        assert entry.interval >= dt.timedelta(minutes=1)
        assert entry.label != entry.name, f"{entry.name} has no label"


def test_a_schedule_the_scheduler_cannot_keep_is_a_system_error(settings):
    settings.CELERY_BEAT_SCHEDULE = {"nightly": {"task": "x.y", "schedule": "at midnight"}}
    assert [e.id for e in run_checks() if e.id.startswith("guanxi.E")] == ["guanxi.E002"]
    settings.CELERY_BEAT_SCHEDULE = {"gone": {"task": "guanxi.nowhere.task", "schedule": 60}}
    assert [e.id for e in run_checks() if e.id.startswith("guanxi.E")] == ["guanxi.E003"]


def test_run_scheduled_command_runs_what_is_due(schedule, settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "broken": {"task": f"{__name__}.fail_always", "schedule": 60},
        **schedule,
    }
    out = StringIO()
    call_command("run_scheduled", stdout=out)
    assert out.getvalue().splitlines() == [
        "broken: failed (see the log)",
        "hourly: done",
        "daily: done",
    ]
    out = StringIO()
    call_command("run_scheduled", stdout=out)
    assert out.getvalue().strip() == "nothing due"


def test_jobs_a_stopped_server_left_are_failed_and_the_rest_left_alone(org):
    start = timezone.now()
    earlier = start - dt.timedelta(minutes=5)
    running = Job.objects.create(kind="import", task="t", status="running", created_at=earlier)
    queued = Job.objects.create(kind="import", task="t", status="queued", created_at=earlier)
    done = Job.objects.create(kind="import", task="t", status="done", created_at=earlier)
    after = Job.objects.create(kind="import", task="t", status="queued")
    assert scheduler.reap_interrupted_jobs(start) == 2
    for job in (running, queued):
        job.refresh_from_db()
        assert job.status == "failed"
        assert job.finished_at is not None
        assert "server stopped" in job.message
    done.refresh_from_db()
    after.refresh_from_db()
    assert (done.status, after.status) == ("done", "queued")


def test_the_scheduler_thread_runs_every_tick_until_stopped():
    turns = []
    third = threading.Event()

    def runner():
        turns.append(1)
        if len(turns) == 3:
            third.set()
        if len(turns) == 2:
            raise RuntimeError("one bad turn does not end the loop")

    thread = scheduler.Scheduler(tick=0.01, runner=runner)
    thread.start()
    assert third.wait(5)
    thread.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert thread.daemon


def test_serve_starts_the_scheduler_only_without_celery(monkeypatch, settings):
    from guanxi.core.management.commands import serve

    started = []
    monkeypatch.setattr(serve, "start_scheduler", lambda: started.append(True))
    monkeypatch.setattr(serve.RunserverCommand, "handle", lambda self, *a, **o: None)
    monkeypatch.setattr(serve, "call_command", lambda *a, **o: None)
    settings.GUANXI_JOBS_MODE = "thread"
    serve.Command().handle(no_demo=True, no_scheduler=False)
    assert started == [True]
    serve.Command().handle(no_demo=True, no_scheduler=True)
    settings.GUANXI_JOBS_MODE = "celery"
    serve.Command().handle(no_demo=True, no_scheduler=False)
    assert started == [True]


def test_admin_page_and_api_show_each_task_and_its_last_run(org, schedule, client):
    scheduler.run_due(T0)
    client.force_login(org.admin)
    page = client.get(reverse("admin-scheduled-tasks")).content.decode()
    assert 'data-task="hourly"' in page and 'data-task="daily"' in page
    assert "Every hour" in page
    assert "record_call(a, 1)" in page
    body = client_for(org.admin).get("/api/v1/scheduled-tasks/").json()
    assert [row["name"] for row in body] == ["hourly", "daily"]
    hourly = body[0]
    assert hourly["label"] == "Every hour"
    assert hourly["interval_seconds"] == 3600
    assert hourly["last_status"] == "done"
    assert hourly["run_count"] == 1
    assert dt.datetime.fromisoformat(hourly["next_due_at"]) == T0 + dt.timedelta(hours=1)
    assert body[1]["label"] == "daily"  # no label: its key
    for user in (org.east_manager, org.east_rep, org.read_only):
        assert client_for(user).get("/api/v1/scheduled-tasks/").status_code == 403


def test_admin_page_in_chinese(org, client):
    org.admin.language = "zh-hans"
    org.admin.save()
    client.force_login(org.admin)
    page = client.get(reverse("admin-scheduled-tasks")).content.decode()
    assert "计划任务" in page
    assert "清空回收站" in page or "清理回收站" in page


def test_run_now_from_the_admin_page_starts_the_task_and_counts_as_its_turn(
    org, schedule, client, django_capture_on_commit_callbacks
):
    client.force_login(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin-scheduled-task-run", args=["daily"]), follow=True)
    assert response.status_code == 200
    assert "“daily” has started" in response.content.decode()
    assert CALLS == [()]  # jobs run after the commit, inline in the tests
    daily = ScheduledTask.objects.get(name="daily")
    assert (daily.run_count, daily.last_status) == (1, "done")
    # the turn is taken: the scheduler does not run it again within the day
    assert "daily" not in scheduler.run_due(daily.last_started_at + dt.timedelta(hours=23))
    assert client.post(reverse("admin-scheduled-task-run", args=["nope"])).status_code == 404
    assert client.get(reverse("admin-scheduled-task-run", args=["daily"])).status_code == 405


def test_run_now_through_the_api(org, schedule, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.admin).post("/api/v1/scheduled-tasks/hourly/run/")
    assert response.status_code == 202
    assert response.json()["name"] == "hourly"
    assert CALLS == [("a", 1)]
    assert ScheduledTask.objects.get(name="hourly").run_count == 1
    assert client_for(org.admin).post("/api/v1/scheduled-tasks/nope/run/").status_code == 404
    for user in (org.east_manager, org.east_rep):
        assert client_for(user).post("/api/v1/scheduled-tasks/hourly/run/").status_code == 403
    assert CALLS == [("a", 1)]


def test_run_now_is_refused_to_non_administrators_on_the_page(org, schedule, client):
    client.force_login(org.east_manager)
    assert client.post(reverse("admin-scheduled-task-run", args=["daily"])).status_code == 403
    assert CALLS == []


def test_a_task_result_is_shown_as_its_message_or_its_figures():
    assert scheduler._result_text(None) == ""
    assert scheduler._result_text(3) == "3"
    assert scheduler._result_text({"warned": 0, "returned": 2}) == "warned 0, returned 2"
    assert scheduler._result_text({"trained": False, "message": "Not enough history"}) == (
        "Not enough history"
    )
