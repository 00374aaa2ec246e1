"""``manage.py purge_data_files``: delete old import and export files, for cron or by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanxi.dataio import services


class Command(BaseCommand):
    help = "Delete the files of unfinished imports and of exports older than a number of days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Age in days (default: the GUANXI_DATA_FILES_DAYS setting, 7).",
        )

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        deleted = services.purge_old_files(days=days)
        self.stdout.write(f"Deleted {deleted} import and export files.")
