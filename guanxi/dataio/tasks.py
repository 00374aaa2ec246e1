"""Job tasks of the import and export pipeline: thin wrappers around the services.

They run through ``guanxi.core.jobs`` (a Celery worker, a thread or inline) and are called as
``task(job, *args)``.
"""

from __future__ import annotations

from typing import Any

from guanxi.core.models import Job

from . import services


def preview_import(job: Job, batch_id: int) -> dict[str, Any]:
    return services.run_preview(job, batch_id)


def apply_import(job: Job, batch_id: int) -> dict[str, Any]:
    return services.run_apply(job, batch_id)


def export_file(job: Job, export_id: int) -> dict[str, Any]:
    return services.run_export(job, export_id)
