"""``manage.py serve [ADDRPORT]``: what ``make run`` starts — bootstrap, then Django's server.

One process does both, so a second ``make run`` pays for one Django start-up, not two. The
autoreloader is off: this is for running Guanxi, not for editing it (use ``runserver`` then).

Without Celery (``GUANXI_JOBS_MODE`` "thread", the embedded default) the same process runs the
periodic tasks (``guanxi.core.scheduler``), after ending the jobs a previous server left
unfinished.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandParser
from django.core.management.commands.runserver import Command as RunserverCommand
from django.db import connections

from guanxi.core.jobs import jobs_mode
from guanxi.core.scheduler import start_scheduler


class Command(RunserverCommand):
    help = (
        "Apply migrations and, on a new database, create admin and the demo data (bootstrap); "
        "then serve with Django's server without the autoreloader."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not load the demo data on a new database."
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Do not run the periodic tasks in this process (Celery beat or cron does).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("bootstrap", no_demo=options["no_demo"], stdout=self.stdout)
        connections.close_all()  # the server's threads open their own
        if jobs_mode() == "thread" and not options["no_scheduler"]:
            start_scheduler()
            connections.close_all()
        options["use_reloader"] = False
        super().handle(*args, **options)
