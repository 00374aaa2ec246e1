"""WSGI entry point (gunicorn guanxi.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings.production")
application = get_wsgi_application()

from guanxi.core.startup import settle  # noqa: E402 - needs the settings above

settle()
