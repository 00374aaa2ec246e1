"""``manage.py bootstrap``: make the database ready to serve, as ``make run`` does every time.

It applies pending migrations; on a new database (no users yet) it also creates the
superuser ``admin`` with the built-in administrator role, loads the demo data unless told not
to, and prints the passwords once. On a database that has users it changes nothing, so it is
safe to run on every start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from guanxi.core import changelog
from guanxi.core.models import ChangeAction, Role, User


def pending_migrations(database: str = DEFAULT_DB_ALIAS) -> int:
    connection = connections[database]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


@transaction.atomic
def create_admin(password: str, username: str = "admin", email: str = "") -> User:
    """The first superuser, with the built-in administrator role so role checks see it too."""
    admin = User.objects.create_superuser(username=username, email=email, password=password)
    admin.roles.set(Role.objects.filter(code="admin"))
    changes = changelog.created_changes(admin)
    changes.pop("password", None)
    changes["roles"] = [None, ["admin"]]
    changelog.log_change(None, admin, ChangeAction.CREATE, changes)
    return admin


class Command(BaseCommand):
    help = (
        "Apply migrations; on a new database also create the superuser admin (password from "
        "GUANXI_ADMIN_PASSWORD or random, printed once) and load the demo data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not load the demo data on a new database."
        )
        parser.add_argument(
            "--demo-accounts", type=int, default=300, help="Demo accounts to create (300)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # WhiteNoise warns at every start when the collectstatic folder does not exist yet
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        pending = pending_migrations()
        if pending:
            self.stdout.write(f"Applying {pending} migration(s)…")
            call_command("migrate", interactive=False, verbosity=0)
        if User.objects.exists():
            self.stdout.write(
                f"Database ready ({User.objects.count()} users); nothing to set up.",
            )
            return
        env_password = os.environ.get("GUANXI_ADMIN_PASSWORD", "")
        password = env_password or secrets.token_urlsafe(12)
        admin = create_admin(password, email=os.environ.get("GUANXI_ADMIN_EMAIL", ""))
        rows = [("admin", "Administrator", "admin", "", password)]
        if not options["no_demo"]:
            from guanxi.customers.demo import load_demo

            self.stdout.write("New database: loading the demo data…")
            summary = load_demo(admin, accounts=options["demo_accounts"])
            rows += [(u.username, u.name, u.role, u.team, u.password) for u in summary.users]
            self.stdout.write(
                f"Demo data: {summary.accounts} accounts, {summary.contacts} contacts, "
                f"{summary.notes} timeline entries, {summary.transitions} class moves "
                f"({summary.seconds:.1f} s)."
            )
        self.stdout.write(self.style.SUCCESS(password_table(rows, shown_once=not env_password)))


def password_table(rows: list[tuple[str, str, str, str, str]], *, shown_once: bool) -> str:
    """The users created and their passwords, as a box for the console."""
    header = ("username", "name", "role", "team", "password")
    table = [header, *rows]
    widths = [max(_width(str(row[i])) for row in table) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [str(v) + " " * (w - _width(str(v))) for v, w in zip(row, widths, strict=True)]
        return "  " + "  ".join(cells)

    rule = "  " + "-" * (sum(widths) + 2 * (len(widths) - 1))
    note = (
        "These passwords are shown once: write down the admin password now."
        if shown_once
        else "The admin password is the one in GUANXI_ADMIN_PASSWORD."
    )
    return "\n".join(["", rule, line(header), rule, *(line(r) for r in rows), rule, "  " + note])


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters are two wide."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
