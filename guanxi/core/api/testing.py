"""Helpers for API tests of every object type (used by the apps' ``tests/test_api*.py``)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


def client_for(user: Any) -> APIClient:
    """An API client logged in as ``user`` with a browser session."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def write(
    client: APIClient, method: str, url: str, data: Any = None, *, etag: str | None = None
) -> Any:
    """A PUT/PATCH/DELETE/POST with JSON and, when given, ``If-Match``."""
    headers = {"If-Match": etag} if etag else {}
    return getattr(client, method.lower())(url, data, format="json", headers=headers)


def count_queries(func: Any) -> int:
    """How many SQL queries ``func()`` makes."""
    with CaptureQueriesContext(connection) as queries:
        func()
    return len(queries.captured_queries)
