"""Scheduled work of customers: thin wrappers around the services.

``run_pool_job`` runs daily from Celery beat (or ``manage.py run_pool_job`` from cron in the
embedded setup without a broker).
"""

from __future__ import annotations

from celery import shared_task

from . import pool


@shared_task(name="guanxi.customers.tasks.run_pool_job")
def run_pool_job() -> dict[str, int]:
    """Warn owners of accounts about to go back to the pool, and return those past the limit."""
    done = pool.run_pool_job()
    return {"warned": len(done["warned"]), "returned": len(done["returned"])}
