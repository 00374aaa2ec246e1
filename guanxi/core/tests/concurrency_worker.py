"""Run by test_concurrency in separate processes: append to one record, retrying when stale."""

from __future__ import annotations

import os
import sys
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings.test")
    import django

    django.setup()
    from django.db import OperationalError

    from guanxi.core.errors import StaleVersion
    from guanxi.core.models import User
    from guanxi.customers.models import Account
    from guanxi.customers.services import update_account

    account_id, user_id, letter, writes, start_at = sys.argv[1:6]
    actor = User.objects.get(pk=int(user_id))
    while time.time() < float(start_at):  # both processes start writing at the same moment
        time.sleep(0.001)
    applied = stale = 0
    while applied < int(writes):
        account = Account.objects.get(pk=int(account_id))
        try:
            update_account(
                actor,
                account,
                {"description": account.description + letter},
                expected_version=account.version,
            )
            applied += 1
        except StaleVersion:
            stale += 1
        except OperationalError:  # SQLite busy beyond the timeout: nothing was written
            stale += 1
    print(f"{applied} {stale}")


if __name__ == "__main__":
    main()
