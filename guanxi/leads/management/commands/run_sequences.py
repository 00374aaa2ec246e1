"""``manage.py run_sequences``: run the nurturing steps that are due."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from guanxi.leads import nurturing


class Command(BaseCommand):
    help = (
        "Run the due steps of leads in nurturing sequences: send their emails, create their "
        "tasks (run every few minutes from cron without Celery beat)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = nurturing.run_due_enrollments()
        self.stdout.write(
            "Due {due}: {email} emails, {task} tasks, {wait} waits over; "
            "{completed} completed, {stopped} stopped.".format(**done)
        )
