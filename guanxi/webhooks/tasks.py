"""Background work of webhooks: a thin wrapper around the delivery module.

Fresh deliveries are sent by ``guanxi.webhooks.delivery.send_deliveries`` through
``guanxi.core.jobs`` right after the commit; ``retry_webhook_deliveries`` is scheduled (Celery
beat, or ``manage.py retry_webhook_deliveries`` from cron in the embedded setup) and sends the
retries that are due.
"""

from __future__ import annotations

from celery import shared_task

from . import delivery


@shared_task(name="guanxi.webhooks.tasks.retry_webhook_deliveries")
def retry_webhook_deliveries() -> dict[str, int]:
    """Send the webhook deliveries whose next attempt is due."""
    return delivery.retry_due_deliveries()
