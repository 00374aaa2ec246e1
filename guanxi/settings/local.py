"""The embedded default of ``make run``: SQLite under ``var/``, no other server."""

from .base import *  # noqa: F403
