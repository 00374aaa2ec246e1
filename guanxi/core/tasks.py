"""Celery tasks of core: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="guanxi.core.tasks.purge_recycle_bin")
def purge_recycle_bin() -> int:
    """Delete for good what has been in the recycle bin longer than the retention period."""
    return services.purge_expired()
