"""The periodic tasks without Celery beat: one schedule, two ways to run it.

``settings.CELERY_BEAT_SCHEDULE`` is the one list of periodic tasks (purging the recycle bin,
reminders, the customer pool …). In production Celery beat queues them. Without a broker (the
embedded default that ``make run`` serves) nothing would, so:

* ``manage.py serve`` starts a :class:`Scheduler` thread that runs what is due every
  ``GUANXI_SCHEDULER_TICK`` seconds (30), one task after the other;
* ``manage.py run_scheduled`` runs what is due once, for a deployment that prefers cron.

A task's turn is claimed in the database (:class:`~guanxi.core.models.ScheduledTask`): the
UPDATE that moves ``last_started_at`` forward only succeeds when the previous start is at least
one interval old, so two processes (a server and a cron job) never run a task twice for the
same turn, and a restart does not run a daily task again. A task that fails is logged and
recorded; its next turn comes as usual.

:func:`reap_interrupted_jobs` ends the jobs a stopped server left "queued" or "running": in the
embedded default they ran on the server's own threads and died with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connections
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Job, ScheduledTask

logger = logging.getLogger(__name__)

DEFAULT_TICK = 30.0


@dataclass(frozen=True)
class Entry:
    """One periodic task: its name in the schedule, what to call, how often."""

    name: str
    task: str
    args: tuple[Any, ...]
    interval: timedelta

    @property
    def label(self) -> str:
        return str(getattr(settings, "SCHEDULE_LABELS", {}).get(self.name, self.name))

    @property
    def display_task(self) -> str:
        """The function with its arguments, as the administration page shows it."""
        if not self.args:
            return self.task
        return f"{self.task}({', '.join(map(str, self.args))})"

    def callable(self) -> Callable[..., Any]:
        return import_string(self.task)


def _interval(name: str, schedule: Any) -> timedelta:
    if isinstance(schedule, timedelta):
        interval = schedule
    elif isinstance(schedule, int | float):
        interval = timedelta(seconds=schedule)
    elif isinstance(getattr(schedule, "run_every", None), timedelta):  # celery's schedule()
        interval = schedule.run_every
    else:
        raise ImproperlyConfigured(
            f"CELERY_BEAT_SCHEDULE[{name!r}]: Guanxi's scheduler runs tasks every N seconds; "
            f"{schedule!r} is not a number of seconds or a timedelta."
        )
    if interval <= timedelta(0):
        raise ImproperlyConfigured(f"CELERY_BEAT_SCHEDULE[{name!r}]: the interval must be > 0.")
    return interval


def entries() -> list[Entry]:
    """The periodic tasks of ``CELERY_BEAT_SCHEDULE``, in its order."""
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", {}) or {}
    return [
        Entry(
            name=name,
            task=spec["task"],
            args=tuple(spec.get("args", ())),
            interval=_interval(name, spec["schedule"]),
        )
        for name, spec in schedule.items()
    ]


def claim(entry: Entry, now: datetime, *, force: bool = False) -> bool:
    """Take ``entry``'s turn at ``now`` if it is due (or ``force``); False when it is not due
    or another process took it first."""
    ScheduledTask.objects.get_or_create(name=entry.name)
    rows = ScheduledTask.objects.filter(name=entry.name)
    if not force:
        rows = rows.filter(
            Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - entry.interval)
        )
    return bool(
        rows.update(last_started_at=now, last_status=ScheduledTask.Status.RUNNING, last_message="")
    )


def run_entry(entry: Entry) -> bool:
    """Run one task now and record how it went; True when it succeeded."""
    started = time.monotonic()
    try:
        result = entry.callable()(*entry.args)
    except Exception as exc:
        logger.exception("scheduled task %s (%s) failed", entry.name, entry.task)
        status, message = ScheduledTask.Status.FAILED, f"{type(exc).__name__}: {exc}"
    else:
        status = ScheduledTask.Status.DONE
        message = _result_text(result)
    seconds = time.monotonic() - started
    logger.info("scheduled task %s: %s in %.1f s", entry.name, status, seconds)
    ScheduledTask.objects.filter(name=entry.name).update(
        last_finished_at=timezone.now(),
        last_status=status,
        last_message=message[:500],
        run_count=F("run_count") + 1,
    )
    return status == ScheduledTask.Status.DONE


def _result_text(result: Any) -> str:
    """What a task returned, as the administration page shows it: its own message, else its
    figures ("warned 0, returned 2")."""
    if result is None:
        return ""
    if isinstance(result, dict):
        if result.get("message"):
            return str(result["message"])
        return ", ".join(f"{key} {value}" for key, value in result.items())
    return str(result)


def run_due(now: datetime | None = None) -> list[str]:
    """Run every task whose turn has come, one after the other; the names of those run."""
    ran = []
    for entry in entries():
        if claim(entry, now or timezone.now()):
            run_entry(entry)
            ran.append(entry.name)
    return ran


def entry_named(name: str) -> Entry:
    """The schedule's entry called ``name``; KeyError when there is none."""
    for entry in entries():
        if entry.name == name:
            return entry
    raise KeyError(name)


def run_now(name: str, actor: Any = None) -> Entry:
    """Start task ``name`` at once, off the request (an administrator's "Run now"), whatever
    its turn; it counts as a turn, so the next one comes an interval later."""
    entry = entry_named(name)
    claim(entry, timezone.now(), force=True)
    logger.info("scheduled task %s started by %s", entry.name, actor or "nobody")
    from .jobs import enqueue

    enqueue("guanxi.core.scheduler.run_named", entry.name)
    return entry


def run_named(name: str) -> bool:
    """Run the entry ``name`` now (the job :func:`run_now` hands over)."""
    return run_entry(entry_named(name))


def reap_interrupted_jobs(before: datetime) -> int:
    """End as failed the jobs still queued or running that were queued before ``before``
    (a server's start): their thread died with the server that ran them."""
    return Job.objects.filter(
        status__in=(Job.Status.QUEUED, Job.Status.RUNNING), created_at__lt=before
    ).update(
        status=Job.Status.FAILED,
        finished_at=timezone.now(),
        message=_("Interrupted: the server stopped before the job ended. Start it again."),
    )


class Scheduler(threading.Thread):
    """A daemon thread that calls ``runner`` (``run_due``) every ``tick`` seconds until
    :meth:`stop`. The first call comes after one tick, once the server is up."""

    def __init__(self, tick: float | None = None, runner: Callable[[], Any] = run_due) -> None:
        super().__init__(name="guanxi-scheduler", daemon=True)
        self.tick = tick if tick is not None else _tick()
        self.runner = runner
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.tick):
            close_old_connections()
            try:
                self.runner()
            except Exception:  # the loop must outlive a broken database connection
                logger.exception("the scheduler's turn failed")
            finally:
                connections.close_all()

    def stop(self) -> None:
        self._stopped.set()


def _tick() -> float:
    return float(getattr(settings, "GUANXI_SCHEDULER_TICK", DEFAULT_TICK))


def start_scheduler() -> Scheduler:
    """End what the previous server left running, then start the scheduler thread."""
    reaped = reap_interrupted_jobs(timezone.now())
    if reaped:
        logger.warning("%d background job(s) left unfinished by the last server: failed", reaped)
    scheduler = Scheduler()
    scheduler.start()
    return scheduler


@dataclass(frozen=True)
class TaskStatus:
    """One periodic task as the administration page and the API show it."""

    name: str
    label: str
    task: str
    interval_seconds: int
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_status: str
    last_message: str
    run_count: int
    next_due_at: datetime | None  # None: at the scheduler's next check

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.interval_seconds)


def task_statuses() -> list[TaskStatus]:
    """Every periodic task of the schedule with its last run (none yet: blank)."""
    rows = {row.name: row for row in ScheduledTask.objects.all()}
    statuses = []
    for entry in entries():
        row = rows.get(entry.name) or ScheduledTask(name=entry.name)
        started = row.last_started_at
        statuses.append(
            TaskStatus(
                name=entry.name,
                label=entry.label,
                task=entry.display_task,
                interval_seconds=int(entry.interval.total_seconds()),
                last_started_at=started,
                last_finished_at=row.last_finished_at,
                last_status=row.last_status,
                last_message=row.last_message,
                run_count=row.run_count,
                next_due_at=started + entry.interval if started else None,
            )
        )
    return statuses


def runner_description() -> str:
    """Who runs the schedule in this installation, in words for the administration page."""
    from .jobs import jobs_mode

    if jobs_mode() == "celery":
        return _("Celery beat queues these tasks for the Celery workers.")
    return _(
        "The Guanxi server (manage.py serve) runs these tasks itself, checking every "
        "%(seconds)s seconds; a deployment without it runs manage.py run_scheduled from cron."
    ) % {"seconds": f"{_tick():g}"}
