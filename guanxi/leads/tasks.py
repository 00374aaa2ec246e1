"""Background work of leads: thin wrappers around the services.

``escalate_overdue_leads`` is scheduled (Celery beat, or ``manage.py escalate_leads`` from cron
in the embedded setup); ``rescore_job`` runs through ``guanxi.core.jobs`` when an administrator
changes the scoring model and there are many open leads.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils.translation import gettext as _

from guanxi.core.models import Job

from . import services


@shared_task(name="guanxi.leads.tasks.escalate_overdue_leads")
def escalate_overdue_leads() -> dict[str, int]:
    """Leads not contacted in time go to the team's manager or back to the queue."""
    return services.escalate_overdue()


def rescore_job(job: Job) -> dict[str, Any]:
    """Re-apply the scoring model to every open lead (the job an administrator started)."""
    changed = services.rescore_all(job.created_by)
    return {
        "changed": changed,
        "message": _("%(count)s open leads have a new score or status.") % {"count": changed},
    }
