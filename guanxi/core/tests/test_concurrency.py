"""No lost updates under real concurrency: two processes write the same record."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from guanxi.customers.models import Account
from guanxi.customers.services import create_account

ROOT = Path(__file__).resolve().parents[3]
WRITES = 25


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
def test_two_processes_never_lose_an_update(org):
    # given an account both writers may edit
    account = create_account(org.east_rep, {"name": "Contended"})
    env = {**os.environ, "DATABASE_URL": database_url(), "AXES_ENABLED": "0"}
    start_at = str(time.time() + 2.0)

    # when two processes each append their letter WRITES times, retrying on a stale version
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "guanxi.core.tests.concurrency_worker",
                str(account.pk),
                str(user.pk),
                letter,
                str(WRITES),
                start_at,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for letter, user in (("a", org.east_rep), ("b", org.east_manager))
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append([int(n) for n in out.split()])

    # then every applied write is in the record, and the version counts them all
    account = Account.objects.get(pk=account.pk)
    assert sorted(account.description) == sorted("a" * WRITES + "b" * WRITES)
    assert account.version == 1 + 2 * WRITES
    assert sum(applied for applied, _stale in results) == 2 * WRITES
