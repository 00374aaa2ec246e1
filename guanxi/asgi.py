"""ASGI entry point (uvicorn guanxi.asgi:application)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings.production")
application = get_asgi_application()

from guanxi.core.startup import settle  # noqa: E402 - needs the settings above

settle()
