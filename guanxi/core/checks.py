"""System checks that keep deployments honest."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register(deploy=True)
def sqlite_in_production(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.DEBUG is False and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        import os

        if os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith("production"):
            return [
                Warning(
                    "Production runs on SQLite; set DATABASE_URL to a PostgreSQL database.",
                    id="guanxi.W001",
                )
            ]
    return []


@register()
def periodic_tasks(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Every periodic task can be imported and has an interval Guanxi's scheduler can keep."""
    from django.core.exceptions import ImproperlyConfigured

    from .scheduler import entries

    try:
        schedule = entries()
    except (ImproperlyConfigured, KeyError) as exc:
        return [Error(f"CELERY_BEAT_SCHEDULE: {exc}", id="guanxi.E002")]
    errors = []
    for entry in schedule:
        try:
            entry.callable()
        except ImportError as exc:
            message = f"The periodic task {entry.name!r} names {entry.task!r}: {exc}"
            errors.append(Error(message, id="guanxi.E003"))
    return errors
