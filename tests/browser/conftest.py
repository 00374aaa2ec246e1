"""Browser-test fixtures: Playwright driving Debian's Chromium against pytest-django's
``live_server``.

Every test under ``tests/browser/`` is marked ``browser`` and skipped, with the reason, when
no Chromium is found (set ``GUANXI_CHROMIUM`` to use another binary). Fixtures:

- ``browser``: one headless Chromium for the session;
- ``page``: a fresh browser context and page per test, its base URL the live server;
- ``logged_in_page``: ``logged_in_page(user)`` gives a page already logged in as ``user``
  (a real session cookie, without going through the login form).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The live server runs in a thread and Playwright's sync API runs an event loop in the test
# thread; Django refuses ORM calls from a thread with a running loop unless told it is safe.
# (The root conftest puts the built-in roles back before each transactional test.)
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).resolve().parent


def chromium_path() -> str | None:
    configured = os.environ.get("GUANXI_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    candidates = ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "browser tests need Chromium: none at /usr/bin/chromium "
            "(install Debian's `chromium` package, as .ci/run does, or set GUANXI_CHROMIUM)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in the lock file
        pytest.skip("browser tests need the playwright package (make install)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def logged_in_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """``logged_in_page(user, path="/")``: a new page with ``user``'s session, at ``path``."""
    from django.conf import settings
    from django.test import Client

    contexts = []

    def open_as(user: Any, path: str = "/") -> Any:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        context.set_default_timeout(10_000)
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    try:
        yield open_as
    finally:
        for context in contexts:
            context.close()
