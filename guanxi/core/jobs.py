"""The one background-job mechanism: long work runs after the commit, off the web request.

``settings.GUANXI_JOBS_MODE`` picks where the work runs:

``"celery"``
    sent to a Celery worker once the transaction that asked for it commits (production, with
    ``REDIS_URL``);
``"thread"``
    a daemon thread of the web process, started after the commit (the embedded default: no
    broker, and the request that started the job still answers at once);
``"sync"``
    inline, right after the commit (tests).

Two levels:

* :func:`enqueue` runs any importable callable (``"package.module.function"``) with JSON-able
  arguments;
* :func:`start_job` also creates a :class:`~guanxi.core.models.Job` row that the UI and the API
  poll for status and progress. Its task is called as ``task(job, *args)`` and reports with
  :func:`report_progress`; the dict it returns becomes ``job.result`` (its ``"message"`` the
  job's closing message); raising :class:`JobFailed`
  ends the job as failed with a message and a result (say, the rows that were wrong).

Progress is written to the cache as well as to the row: a task that works inside one long
transaction (an all-or-none import) cannot make its row's progress visible to other
connections before it commits, but the cache it can.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .context import current_request_id, request_id_var
from .models import Job

logger = logging.getLogger(__name__)

MODES = ("celery", "thread", "sync")
_CACHE_TIMEOUT = 24 * 3600


class JobFailed(Exception):
    """Raised by a task to end its job as failed with a user-facing message and a result."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result or {}


# --------------------------------------------------------------------------------------------
# running a task somewhere
# --------------------------------------------------------------------------------------------


@shared_task(name="guanxi.core.jobs.run_task")
def run_task(task_path: str, args: Sequence[Any] = ()) -> Any:
    """Import ``task_path`` and call it with ``args`` (the one Celery task of Guanxi's jobs)."""
    func: Callable[..., Any] = import_string(task_path)
    return func(*args)


def _run_in_thread(task_path: str, args: list[Any]) -> None:
    close_old_connections()
    try:
        run_task(task_path, args)
    except Exception:  # a thread has nobody to report to but the log
        logger.exception("background task %s failed", task_path)
    finally:
        # The thread's own database connections would otherwise stay open until exit.
        connections.close_all()


def jobs_mode() -> str:
    mode = getattr(settings, "GUANXI_JOBS_MODE", "thread")
    if mode not in MODES:
        raise ImproperlyConfigured(
            f"GUANXI_JOBS_MODE is {mode!r}; it must be one of {', '.join(MODES)}."
        )
    return mode


def enqueue(task_path: str, *args: Any) -> None:
    """Run ``task_path(*args)`` once the current transaction commits, where the mode says.

    Arguments must be JSON-serialisable (ids, strings): a Celery worker receives them as JSON.
    Outside a transaction the task is handed over at once.
    """
    mode = jobs_mode()
    payload = list(args)
    if mode == "celery":
        transaction.on_commit(lambda: run_task.delay(task_path, payload))
    elif mode == "thread":

        def start_thread() -> None:
            thread = threading.Thread(
                target=_run_in_thread,
                args=(task_path, payload),
                name=f"guanxi-job:{task_path}",
                daemon=True,
            )
            thread.start()

        transaction.on_commit(start_thread)
    else:
        transaction.on_commit(lambda: run_task(task_path, payload))


# --------------------------------------------------------------------------------------------
# jobs with progress
# --------------------------------------------------------------------------------------------


def start_job(actor: Any, kind: str, task_path: str, *args: Any, message: str = "") -> Job:
    """Create a queued job and run ``task_path(job, *args)`` after the commit."""
    job = Job.objects.create(
        kind=kind,
        task=task_path,
        args=list(args),
        message=message or _("Waiting to start…"),
        created_by=actor if getattr(actor, "pk", None) else None,
        request_id=current_request_id(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    enqueue("guanxi.core.jobs.run_job", job.pk)
    return job


def _cache_key(job_id: int) -> str:
    return f"guanxi:job:{job_id}"


def _publish(job: Job) -> None:
    cache.set(
        _cache_key(job.pk),
        {"status": job.status, "progress": job.progress, "message": str(job.message)},
        _CACHE_TIMEOUT,
    )


def report_progress(job: Job, pct: float, message: str = "") -> None:
    """Tell watchers how far ``job`` is (0–100) and what it is doing.

    Cheap enough to call every few hundred rows. Inside a transaction only the cache is
    written, as the row would not be seen by others before the commit anyway.
    """
    job.progress = max(0, min(100, int(pct)))
    if message:
        job.message = str(message)[:500]
    _publish(job)
    if not connection.in_atomic_block:
        Job.objects.filter(pk=job.pk).update(progress=job.progress, message=job.message)


def job_state(job: Job) -> dict[str, Any]:
    """Status, progress and message as watchers should see them (the cache may be ahead)."""
    state = {"status": job.status, "progress": job.progress, "message": job.message}
    if not job.is_finished:
        live = cache.get(_cache_key(job.pk))
        if live and live.get("status") == job.Status.RUNNING:
            state.update(live)
    return state


def _finish(job: Job, status: str, message: str, result: dict[str, Any]) -> None:
    job.status = status
    job.message = str(message)[:500]
    job.result = result
    job.finished_at = timezone.now()
    if status == Job.Status.DONE:
        job.progress = 100
    Job.objects.filter(pk=job.pk).update(
        status=job.status,
        message=job.message,
        result=job.result,
        finished_at=job.finished_at,
        progress=job.progress,
    )
    cache.delete(_cache_key(job.pk))


def run_job(job_id: int) -> Job | None:
    """Run a queued job's task, recording start, progress, result or failure.

    A job that is not queued any more (a Celery redelivery) is left alone.
    """
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = Job.objects.get(pk=job_id)
    _publish(job)
    token = request_id_var.set(job.request_id or current_request_id())
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            try:
                func: Callable[..., Any] = import_string(job.task)
                result = func(job, *job.args)
            except JobFailed as exc:
                _finish(job, Job.Status.FAILED, exc.message, exc.result)
            except (ValidationError, PermissionDenied) as exc:
                detail = "; ".join(getattr(exc, "messages", None) or [str(exc)])
                _finish(job, Job.Status.FAILED, detail or _("The job was refused."), {})
            except Exception:
                logger.exception("job %s (%s) failed", job.pk, job.task)
                _finish(
                    job,
                    Job.Status.FAILED,
                    _("The job failed unexpectedly; the error is in the server log."),
                    {},
                )
            else:
                result = result if isinstance(result, dict) else {"value": result}
                _finish(job, Job.Status.DONE, result.get("message") or _("Done."), result)
    finally:
        request_id_var.reset(token)
    return job


__all__ = [
    "JobFailed",
    "enqueue",
    "job_state",
    "jobs_mode",
    "report_progress",
    "run_job",
    "run_task",
    "start_job",
]
