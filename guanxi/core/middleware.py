"""Request id, idle sessions, the user's language and time zone."""

from __future__ import annotations

import re
import time
import uuid
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from .context import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane ``X-Request-ID``) for logs and the change log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class IdleSessionMiddleware(SessionMiddleware):
    """Sessions end after ``SESSION_COOKIE_AGE`` seconds without a request.

    Django's ``SESSION_SAVE_EVERY_REQUEST`` restarts that clock by writing the session row on
    every request: an UPDATE and a commit per page or API call (about 20 ms under load at a
    million accounts, more than the account list's own query). Here the clock restarts at
    most once every ``SESSION_REFRESH_SECONDS`` (five minutes): a session ends between
    ``SESSION_COOKIE_AGE`` minus that and ``SESSION_COOKIE_AGE`` after the last request.
    """

    KEY = "_refreshed_at"

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.accessed and not session.is_empty():
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[self.KEY] = now  # modified: saved with a new expiry, cookie re-sent
        return super().process_response(request, response)


class UserLanguageMiddleware:
    """Picks the language: the logged-in user's choice, else the session's, else the browser's.

    Runs before authentication, so it reads the user id from the session lazily through
    ``UserPreferencesMiddleware`` below; here only the anonymous choice is applied.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.session.get("language") or translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class UserPreferencesMiddleware:
    """Applies a logged-in user's language and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        response = self.get_response(request)
        response.headers["Content-Language"] = translation.get_language()
        return response
