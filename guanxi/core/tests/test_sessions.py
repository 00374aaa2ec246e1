"""Idle sessions: the expiry restarts with use, without a database write on every request."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.core.middleware import IdleSessionMiddleware

pytestmark = pytest.mark.django_db


def session_writes(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [
        q["sql"]
        for q in ctx.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_requests_within_the_refresh_period_do_not_write_the_session(client, org):
    client.force_login(org.east_rep)
    url = reverse("customers:account-list")
    client.get(url)  # the first request stamps the session

    assert session_writes(client, url) == []
    assert session_writes(client, url) == []


def test_a_request_after_the_refresh_period_extends_the_expiry(client, org, settings):
    settings.SESSION_COOKIE_AGE = 3600
    client.force_login(org.east_rep)
    url = reverse("customers:account-list")
    client.get(url)
    session = client.session
    session[IdleSessionMiddleware.KEY] = int(time.time()) - settings.SESSION_REFRESH_SECONDS - 1
    session.save()
    key = session.session_key
    before = Session.objects.get(pk=key).expire_date
    time.sleep(1.1)

    writes = session_writes(client, url)

    assert writes  # the clock restarted
    after = Session.objects.get(pk=key).expire_date
    assert after > before
    assert client.session[IdleSessionMiddleware.KEY] >= int(time.time()) - 5


def test_an_anonymous_visitor_gets_no_session_row(client):
    client.get(reverse("login"))

    assert Session.objects.count() == 0
