"""``manage.py load_demo``: add the demo teams, users and customers to a database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.core.management.commands.bootstrap import password_table
from guanxi.core.models import User
from guanxi.customers.demo import DemoAlreadyLoaded, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo data: teams 华东 East and 华南 South under 销售部 Sales, their managers "
        "and reps, and a few hundred customers with contacts, timelines and history. "
        "Passwords are random (or all GUANXI_DEMO_PASSWORD) and printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=300, help="Accounts to create (300).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (2026).")
        parser.add_argument(
            "--as", dest="admin", default="", help="Administrator who creates the demo users."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        admins = User.objects.filter(is_superuser=True, is_active=True).order_by("pk")
        if options["admin"]:
            admins = admins.filter(username__iexact=options["admin"])
        admin = admins.first()
        if admin is None:
            raise CommandError(
                "No active superuser to create the demo with: run `manage.py bootstrap` "
                "(or createsuperuser) first."
            )
        try:
            summary = load_demo(admin, accounts=options["accounts"], seed=options["seed"])
        except DemoAlreadyLoaded as exc:
            raise CommandError("The demo data is already loaded in this database.") from exc
        self.stdout.write(
            f"Demo data: {summary.accounts} accounts, {summary.contacts} contacts, "
            f"{summary.notes} timeline entries, {summary.transitions} class moves "
            f"({summary.seconds:.1f} s)."
        )
        rows = [(u.username, u.name, u.role, u.team, u.password) for u in summary.users]
        self.stdout.write(self.style.SUCCESS(password_table(rows, shown_once=True)))
