"""Domain errors that services raise and views and the API turn into answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class StaleVersion(Exception):
    """A write was based on an old version of the record; nothing was written."""

    def __init__(self, current: Any, expected: int | None) -> None:
        self.current = current
        self.expected = expected
        super().__init__(
            f"{current._meta.model_name} #{current.pk} is at version {current.version}, "
            f"the write was based on version {expected}"
        )


class VersionRequired(Exception):
    """A write came without the version it was based on (HTTP 428)."""


__all__ = ["Http404", "PermissionDenied", "StaleVersion", "ValidationError", "VersionRequired"]
