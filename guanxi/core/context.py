"""Per-request context that services read without being handed the request."""

from __future__ import annotations

import contextvars
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def current_request_id() -> str:
    """The id of the request (or job) being served; a fresh one outside any request."""
    value = request_id_var.get()
    if not value:
        value = uuid.uuid4().hex
        request_id_var.set(value)
    return value
