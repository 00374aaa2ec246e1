"""Logging in and out, lockout, passwords, the user's own settings and the language switch."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from guanxi.core.tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Guanxi-2026"  # the factories' password


def log_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_renders_with_the_username_or_email_field(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Username or email" in response.content.decode()


def test_login_by_username_goes_home(client):
    user = make_user(username="li.lei")
    response = log_in(client, "li.lei")
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_by_email_case_insensitive(client):
    user = make_user(username="hanmeimei", email="han.meimei@example.com")
    response = log_in(client, "Han.MeiMei@Example.com")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_shows_the_form_again(client):
    make_user(username="li.lei")
    response = log_in(client, "li.lei", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "alert-danger" in response.content.decode()


def test_sixth_attempt_after_five_failures_is_locked_out_even_with_the_right_password(client):
    make_user(username="li.lei")
    for _ in range(5):
        log_in(client, "li.lei", "wrong")
    response = log_in(client, "li.lei")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "Too many failed logins" in response.content.decode()


def test_four_failures_do_not_lock(client):
    make_user(username="li.lei")
    for _ in range(4):
        log_in(client, "li.lei", "wrong")
    assert log_in(client, "li.lei").status_code == 302


def test_logout_is_a_post_and_ends_the_session(client):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("logout")).status_code == 405


def test_pages_need_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_password_reset_sends_an_email_whose_link_sets_a_new_password(client):
    make_user(username="li.lei", email="li@example.com")
    response = client.post(reverse("password_reset"), {"email": "li@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li@example.com"]
    link = re.search(r"https?://[^/\s]+(/auth/password/reset/\S+/)", message.body).group(1)
    # Django redirects to a token-less URL keeping the token in the session.
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "Another-pw-2026", "new_password2": "Another-pw-2026"}
    )
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    assert log_in(client, "li.lei", "Another-pw-2026").status_code == 302


def test_password_reset_reaches_a_user_created_without_a_password(client, org):
    from guanxi.core import people

    people.create_user(
        org.admin, {"username": "newbie", "email": "newbie@example.com"}, password=None
    )
    client.post(reverse("password_reset"), {"email": "newbie@example.com"})
    assert [m.to for m in mail.outbox] == [["newbie@example.com"]]


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_password_change_needs_the_old_password(client):
    user = make_user(username="li.lei")
    client.force_login(user)
    bad = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "Xy-new-2026!", "new_password2": "Xy-new-2026!"},
    )
    assert bad.status_code == 200
    assert "is-invalid" in bad.content.decode()
    good = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Xy-new-2026!",
            "new_password2": "Xy-new-2026!",
        },
    )
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Xy-new-2026!")


def test_profile_language_switch_applies_to_the_next_page(client):
    user = make_user(language="en")
    client.force_login(user)
    response = client.post(
        reverse("profile"),
        {
            "first_name": "Lei",
            "last_name": "Li",
            "email": user.email,
            "language": "zh-hans",
            "time_zone": "Asia/Shanghai",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "zh-hans"
    page = client.get(reverse("home"))
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in page.content.decode()


def test_profile_refuses_an_email_another_user_has(client):
    make_user(username="other", email="taken@example.com")
    user = make_user(username="me")
    client.force_login(user)
    response = client.post(
        reverse("profile"),
        {"email": "taken@example.com", "language": "en", "time_zone": "Asia/Shanghai"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Another user has this email address."]
    user.refresh_from_db()
    assert user.email == "me@example.com"


def test_time_zone_preference_is_saved(client):
    user = make_user()
    client.force_login(user)
    client.post(
        reverse("profile"),
        {"email": user.email, "language": "en", "time_zone": "Europe/Berlin"},
    )
    user.refresh_from_db()
    assert user.time_zone == "Europe/Berlin"


def test_anonymous_language_switch_on_the_login_page(client):
    response = client.post(
        reverse("set-language"), {"language": "zh-hans", "next": reverse("login")}
    )
    assert response.status_code == 302
    assert response.url == reverse("login")
    page = client.get(reverse("login"))
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in page.content.decode()


def test_language_switch_of_a_user_is_saved_on_the_user(client):
    user = make_user(language="en")
    client.force_login(user)
    client.post(reverse("set-language"), {"language": "zh-hans", "next": reverse("home")})
    user.refresh_from_db()
    assert user.language == "zh-hans"


def test_language_switch_ignores_a_next_url_off_this_site(client):
    response = client.post(
        reverse("set-language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")
