"""System checks that keep deployments honest."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


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
