"""``manage.py retry_webhook_deliveries``: the scheduled retry of failed webhook deliveries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from guanxi.webhooks import delivery


class Command(BaseCommand):
    help = (
        "Send the webhook deliveries whose next attempt is due (run every minute from cron "
        "without Celery beat), and drop finished ones older than the log's retention."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = delivery.retry_due_deliveries()
        self.stdout.write(
            "Due {due}: {succeeded} succeeded, {failed} failed (will retry), "
            "{gave_up} given up; {purged} old deliveries purged.".format(**done)
        )
