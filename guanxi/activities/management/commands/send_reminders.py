"""``manage.py send_reminders``: the scheduled reminders of activities (cron, without beat)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from guanxi.activities import services


class Command(BaseCommand):
    help = (
        "Notify (in the app and by email) the owner and attendees of each open activity whose "
        "reminder time has passed, once; run every minute from cron without Celery beat."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.send_reminders()
        self.stdout.write(f"Sent {sent} reminders.")
