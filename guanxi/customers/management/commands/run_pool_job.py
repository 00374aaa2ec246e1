"""``manage.py run_pool_job``: the daily return of neglected accounts to the pool (公海)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from guanxi.customers import pool


class Command(BaseCommand):
    help = (
        "Warn owners of accounts about to go back to the customer pool, and return the accounts "
        "past their relationship class's limits (run daily from cron without Celery beat)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = pool.run_pool_job()
        self.stdout.write(
            f"Warned the owners of {len(done['warned'])} accounts, "
            f"returned {len(done['returned'])} accounts to the pool."
        )
