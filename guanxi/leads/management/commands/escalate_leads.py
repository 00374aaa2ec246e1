"""``manage.py escalate_leads``: the scheduled escalation of leads not contacted in time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from guanxi.leads import services


class Command(BaseCommand):
    help = (
        "Give leads not contacted within their assignment rule's time to the team's manager, "
        "or back to the queue (run every few minutes from cron without Celery beat)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = services.escalate_overdue()
        self.stdout.write(f"Escalated {done['escalated']} leads, requeued {done['requeued']}.")
