"""``manage.py run_scheduled``: run the periodic tasks whose turn has come, once (for cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from guanxi.core.models import ScheduledTask
from guanxi.core.scheduler import run_due


class Command(BaseCommand):
    help = (
        "Run the periodic tasks of CELERY_BEAT_SCHEDULE that are due (each at most once per "
        "interval, whoever else runs them). For deployments without Celery beat: run it from "
        "cron every minute."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        ran = run_due()
        failed = set(
            ScheduledTask.objects.filter(
                name__in=ran, last_status=ScheduledTask.Status.FAILED
            ).values_list("name", flat=True)
        )
        for name in ran:
            self.stdout.write(f"{name}: {'failed (see the log)' if name in failed else 'done'}")
        if not ran:
            self.stdout.write("nothing due")
