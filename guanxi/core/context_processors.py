from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def guanxi(request: HttpRequest) -> dict[str, Any]:
    return {"GUANXI_LANGUAGES": settings.LANGUAGES}
