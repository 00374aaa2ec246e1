"""``manage.py seed_scale --accounts N``: bulk-generate customers for benchmarks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from guanxi.customers.seed import SeedResult, seed_scale


class Command(BaseCommand):
    help = (
        "Generate N accounts with contacts and timeline entries fast (bulk inserts in batches), "
        "owned by users seed.mgrNN / seed.repNNNN in a team hierarchy under 'Seed HQ'. "
        "Seeded rows have no change-log history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, required=True, help="Accounts to create.")
        parser.add_argument("--contacts-per-account", type=int, default=2)
        parser.add_argument("--notes-per-account", type=int, default=1)
        parser.add_argument(
            "--owners", type=int, default=50, help="Owners (one region team per ten; 50)."
        )
        parser.add_argument(
            "--share-ratio",
            type=float,
            default=0.01,
            help="Share of accounts also shared with an owner of another team (0.01).",
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1, help="Random seed (1).")
        parser.add_argument(
            "--password", default=None, help="Password of the seed users (default: none, unusable)."
        )
        parser.add_argument(
            "--no-analyze", action="store_true", help="Skip ANALYZE of the tables at the end."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = connection.vendor
        self.stdout.write(
            f"Seeding {options['accounts']:,} accounts on {vendor} "
            f"({options['contacts_per_account']} contacts, {options['notes_per_account']} notes "
            "each)…"
        )

        def progress(result: SeedResult) -> None:
            self.stdout.write(
                f"  {result.accounts:>11,} accounts  {result.seconds:7.1f} s  "
                f"{result.rate:8,.0f} accounts/s"
            )

        result = seed_scale(
            options["accounts"],
            contacts_per_account=options["contacts_per_account"],
            notes_per_account=options["notes_per_account"],
            owners=options["owners"],
            share_ratio=options["share_ratio"],
            batch_size=options["batch_size"],
            seed=options["seed"],
            password=options["password"],
            analyze=not options["no_analyze"],
            progress=progress if options["verbosity"] >= 1 else None,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.accounts:,} accounts, {result.contacts:,} contacts, "
                f"{result.notes:,} notes and {result.shares:,} shares for {result.owners} owners "
                f"in {result.seconds:.1f} s ({result.rate:,.0f} accounts/s)."
            )
        )
