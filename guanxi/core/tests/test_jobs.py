"""The background-job mechanism: after the commit, in the configured place, with progress."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from guanxi.core import jobs
from guanxi.core.models import Job
from guanxi.core.tests.factories import make_user

CALLS: list[tuple] = []
STARTED = threading.Event()
RELEASE = threading.Event()


def record_call(*args):
    CALLS.append(args)


def wait_for_release(job, label):
    STARTED.set()
    jobs.report_progress(job, 40, "waiting")
    assert RELEASE.wait(10), "the test never released the job"
    return {"label": label, "message": "released"}


def count_to_hundred(job):
    for pct in (25, 50, 75):
        jobs.report_progress(job, pct, f"at {pct}")
    return {"counted": 100}


def refuse(job):
    raise jobs.JobFailed("three rows are wrong", {"rows": [2, 5, 9]})


def crash(job):
    raise RuntimeError("secret internals")


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    STARTED.clear()
    RELEASE.clear()
    yield
    RELEASE.set()


def test_sync_mode_runs_the_task_only_after_the_commit(
    settings, db, django_capture_on_commit_callbacks
):
    # given sync mode
    settings.GUANXI_JOBS_MODE = "sync"
    # when a task is enqueued inside a transaction
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue("guanxi.core.tests.test_jobs.record_call", 1, "a")
        # then it has not run before the commit
        assert CALLS == []
    # and it ran once the transaction committed
    assert CALLS == [(1, "a")]


def test_sync_mode_runs_nothing_when_the_transaction_rolls_back(settings, db):
    settings.GUANXI_JOBS_MODE = "sync"
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue("guanxi.core.tests.test_jobs.record_call", 1)
        raise RuntimeError("rolled back")
    assert CALLS == []


def test_celery_mode_sends_the_task_to_celery_after_the_commit(
    settings, db, monkeypatch, django_capture_on_commit_callbacks
):
    settings.GUANXI_JOBS_MODE = "celery"
    sent = []
    monkeypatch.setattr(jobs.run_task, "delay", lambda *a: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue("guanxi.core.tests.test_jobs.record_call", 7)
        assert sent == []
    assert sent == [("guanxi.core.tests.test_jobs.record_call", [7])]
    assert CALLS == []  # nothing ran in the web process


def test_unknown_mode_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.GUANXI_JOBS_MODE = "later"
    with pytest.raises(ImproperlyConfigured):
        jobs.enqueue("guanxi.core.tests.test_jobs.record_call")


def test_a_job_reaches_done_with_progress_100_and_its_result(
    settings, db, django_capture_on_commit_callbacks
):
    settings.GUANXI_JOBS_MODE = "sync"
    user = make_user("sales_rep")
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_job(user, "test.count", "guanxi.core.tests.test_jobs.count_to_hundred")
        assert job.status == Job.Status.QUEUED
    job.refresh_from_db()
    assert (job.status, job.progress, job.result) == ("done", 100, {"counted": 100})
    assert job.created_by == user
    assert job.started_at is not None and job.finished_at >= job.started_at


def test_a_task_raising_job_failed_ends_failed_with_its_message_and_result(
    settings, db, django_capture_on_commit_callbacks
):
    settings.GUANXI_JOBS_MODE = "sync"
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_job(None, "test.refuse", "guanxi.core.tests.test_jobs.refuse")
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message == "three rows are wrong"
    assert job.result == {"rows": [2, 5, 9]}


def test_an_unexpected_error_fails_the_job_without_showing_internals(
    settings, db, django_capture_on_commit_callbacks
):
    settings.GUANXI_JOBS_MODE = "sync"
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_job(None, "test.crash", "guanxi.core.tests.test_jobs.crash")
    job.refresh_from_db()
    assert job.status == "failed"
    assert "secret" not in job.message


def test_a_job_is_run_only_once(settings, db, django_capture_on_commit_callbacks):
    # given a job that already ran (Celery may deliver a task twice)
    settings.GUANXI_JOBS_MODE = "sync"
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_job(None, "test.count", "guanxi.core.tests.test_jobs.count_to_hundred")
    # when it is run again, then nothing happens
    assert jobs.run_job(job.pk) is None


def test_progress_reported_inside_a_transaction_is_visible_through_job_state(db):
    # given a running job whose task works inside one transaction
    job = Job.objects.create(kind="test", task="x", status=Job.Status.RUNNING)
    with transaction.atomic():
        jobs.report_progress(job, 63, "row 630 of 1000")
    # then watchers see the progress from the cache even though the row was not written
    other = Job.objects.get(pk=job.pk)
    assert other.progress == 0
    assert jobs.job_state(other) == {
        "status": "running",
        "progress": 63,
        "message": "row 630 of 1000",
    }


def test_jobs_are_visible_to_who_started_them_and_to_administrators(db):
    owner, other, admin = make_user("sales_rep"), make_user("sales_rep"), make_user("admin")
    job = Job.objects.create(kind="test", task="x", created_by=owner)
    assert list(Job.objects.visible_to(owner)) == [job]
    assert list(Job.objects.visible_to(other)) == []
    assert list(Job.objects.visible_to(admin)) == [job]


@pytest.mark.django_db(transaction=True)
def test_thread_mode_returns_to_the_caller_before_the_job_ends(settings):
    # given thread mode (the embedded default) and a task that waits until released
    settings.GUANXI_JOBS_MODE = "thread"
    user = make_user("sales_rep")
    # when the job is started in a transaction, as a view would
    with transaction.atomic():
        job = jobs.start_job(
            user, "test.wait", "guanxi.core.tests.test_jobs.wait_for_release", "first"
        )
    # then the caller got control back while the job is still running in another thread
    assert STARTED.wait(10)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    assert jobs.job_state(job)["progress"] == 40
    # and once released the job finishes on its own
    RELEASE.set()
    deadline = time.monotonic() + 10
    while job.status != Job.Status.DONE and time.monotonic() < deadline:
        time.sleep(0.05)
        job.refresh_from_db()
    assert (job.status, job.progress, job.result["label"]) == ("done", 100, "first")
    assert job.message == "released"
