"""API authentication: tokens for username or email, lockout, sessions and rate limits."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from guanxi.core.api.testing import client_for

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Guanxi-2026"  # the factories' password
TOKEN_URL = "/api/v1/auth/token/"


def ask_token(client: APIClient, username: str, password: str):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_token_for_username_and_password(org):
    response = ask_token(APIClient(), "eastrep", PASSWORD)

    assert response.status_code == 200
    assert response.data == {"token": Token.objects.get(user=org.east_rep).key}


def test_token_for_email_address(org):
    response = ask_token(APIClient(), org.east_rep.email.upper(), PASSWORD)

    assert response.status_code == 200
    assert Token.objects.get(key=response.data["token"]).user == org.east_rep


def test_token_header_authenticates_requests(org):
    client = APIClient()
    token = ask_token(client, "eastrep", PASSWORD).data["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = client.post("/api/v1/accounts/", {"name": "By token"}, format="json")

    assert response.status_code == 201
    assert response.data["owner"]["id"] == org.east_rep.pk


def test_wrong_password_is_400_without_a_token(org):
    response = ask_token(APIClient(), "eastrep", "wrong")

    assert response.status_code == 400
    assert "non_field_errors" in response.data
    assert not Token.objects.exists()


def test_missing_fields_are_400_naming_them(org):
    response = APIClient().post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.data) == {"username", "password"}


def test_inactive_user_gets_no_token(org):
    org.east_rep.is_active = False
    org.east_rep.save()

    response = ask_token(APIClient(), "eastrep", PASSWORD)

    assert response.status_code == 400


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(org, settings):
    client = APIClient()
    failures = [
        ask_token(client, "eastrep", f"wrong{i}").status_code
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]

    locked = ask_token(client, "eastrep", PASSWORD)

    assert failures[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert failures[-1] == settings.AXES_HTTP_RESPONSE_CODE
    assert locked.status_code == settings.AXES_HTTP_RESPONSE_CODE
    assert locked.data["code"] == "locked_out"
    assert "token" not in locked.data


def test_lockout_of_one_user_leaves_others_alone(org, settings):
    client = APIClient()
    for i in range(settings.AXES_FAILURE_LIMIT):
        ask_token(client, "eastrep", f"wrong{i}")

    response = ask_token(client, "westrep", PASSWORD)

    assert response.status_code == 200


def test_delete_revokes_the_callers_token(org):
    client = APIClient()
    token = ask_token(client, "eastrep", PASSWORD).data["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    revoked = client.delete(TOKEN_URL)
    after = client.get("/api/v1/accounts/")

    assert revoked.status_code == 204
    assert after.status_code == 401


def test_unauthenticated_requests_are_told_to_send_a_token(org):
    response = APIClient().get("/api/v1/accounts/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_browser_session_authenticates_and_writes_need_csrf(org):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(org.east_rep)

    read = browser.get("/api/v1/accounts/")
    write_without_csrf = browser.post("/api/v1/accounts/", {"name": "X"}, format="json")

    assert read.status_code == 200
    assert write_without_csrf.status_code == 403


def test_rate_limit_counts_per_user_and_login_has_its_own(org, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    # The throttles read their rates from a class attribute; monkeypatch restores it.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"user": "3/minute", "anon": "3/minute", "login": "2/minute"},
    )
    cache.clear()
    rep = client_for(org.east_rep)

    codes = [rep.get("/api/v1/accounts/").status_code for _ in range(4)]
    other = client_for(org.west_rep).get("/api/v1/accounts/")
    logins = [ask_token(APIClient(), "westrep", PASSWORD).status_code for _ in range(3)]

    assert codes == [200, 200, 200, 429]
    assert other.status_code == 200
    assert logins == [200, 200, 429]
