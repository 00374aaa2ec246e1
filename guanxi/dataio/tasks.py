"""Job tasks of the import and export pipeline: thin wrappers around the services.

They run through ``guanxi.core.jobs`` (a Celery worker, a thread or inline) and are called as
``task(job, *args)``; ``purge_old_files`` is a periodic Celery task.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from guanxi.core.models import Job

from . import services


def preview_import(job: Job, batch_id: int) -> dict[str, Any]:
    return services.run_preview(job, batch_id)


def apply_import(job: Job, batch_id: int) -> dict[str, Any]:
    return services.run_apply(job, batch_id)


def export_file(job: Job, export_id: int) -> dict[str, Any]:
    return services.run_export(job, export_id)


@shared_task(name="guanxi.dataio.tasks.purge_old_files")
def purge_old_files() -> int:
    """The periodic clean-up of uploaded and exported files (Celery beat)."""
    return services.purge_old_files()
