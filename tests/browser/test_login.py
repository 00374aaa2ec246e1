"""The login page in a real browser."""

import re

import pytest
from django.urls import reverse

from guanxi.core.tests.factories import make_user

pytestmark = pytest.mark.browser

PASSWORD = "pw-Guanxi-2026"  # the factories' password


def test_login_page_renders_the_form(page):
    page.goto(reverse("login"))

    assert page.locator("input[name=username]").is_visible()
    assert page.locator("input[name=password]").is_visible()
    assert "Log in" in page.title()


def test_logging_in_lands_on_the_home_page(page, live_server):
    user = make_user("sales_rep", username="li.na", first_name="李娜")
    page.goto(reverse("login"))

    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    page.wait_for_url(re.compile(re.escape(live_server.url + reverse("home")) + r"$"))
    assert "李娜" in page.locator("h1").inner_text()


def test_logged_in_page_opens_as_the_user(logged_in_page):
    user = make_user("sales_rep", username="zhang.wei")

    page = logged_in_page(user, reverse("home"))

    assert page.locator("#user-menu").inner_text().strip() == "zhang.wei"
