"""``manage.py purge_recycle_bin``: the scheduled purge, for cron or by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanxi.core import services


class Command(BaseCommand):
    help = "Delete for good the recycle-bin entries older than the retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (default: the GUANXI_RECYCLE_BIN_DAYS setting).",
        )

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        purged = services.purge_expired(days=days)
        self.stdout.write(f"Purged {purged} recycle-bin entries.")
