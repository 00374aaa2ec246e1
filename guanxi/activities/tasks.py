"""Scheduled work of activities: thin wrappers around the services.

``send_reminders`` runs every minute from Celery beat (``CELERY_BEAT_SCHEDULE``), or from cron
as ``manage.py send_reminders`` in the embedded setup.
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="guanxi.activities.tasks.send_reminders")
def send_reminders() -> int:
    """Notify the people of each activity whose reminder time has passed, once."""
    return services.send_reminders()
