"""Webhook pages: administrators only; the secret shown once; the delivery log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers.services import create_account
from guanxi.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


def test_an_administrator_creates_a_webhook_and_sees_the_secret_once(client, org, receiver):
    client.force_login(org.admin)
    # given the form lists the known events
    page = client.get(reverse("webhooks:create"))
    assert page.status_code == 200
    assert 'value="lead.converted"' in page.content.decode()
    # when the administrator picks events and saves
    response = client.post(
        reverse("webhooks:create"),
        {
            "name": "ERP",
            "target_url": receiver.url,
            "events": ["lead.*", "opportunity.won"],
            "other_events": "invoice.*",
            "is_active": "on",
        },
    )
    # then the answer shows the secret, and no later page does
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["lead.*", "opportunity.won", "invoice.*"]
    assert subscription.secret in response.content.decode()
    for name in ("webhooks:edit", "webhooks:deliveries"):
        assert (
            subscription.secret
            not in client.get(reverse(name, args=[subscription.pk])).content.decode()
        )
    assert subscription.secret not in client.get(reverse("webhooks:list")).content.decode()


def test_the_form_shows_errors_next_to_the_fields(client, org):
    client.force_login(org.admin)
    response = client.post(
        reverse("webhooks:create"), {"name": "", "target_url": "ftp://x", "events": []}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"name", "target_url", "events"} <= set(form.errors)
    assert not WebhookSubscription.objects.exists()


def test_an_edit_on_an_old_version_is_refused_and_shown_again(client, org, subscribe):
    subscription = subscribe(["*"])
    client.force_login(org.admin)
    data = {
        "name": "Renamed",
        "target_url": subscription.target_url,
        "events": ["*"],
        "is_active": "on",
        "version": subscription.version,
    }
    assert client.post(reverse("webhooks:edit", args=[subscription.pk]), data).status_code == 302
    stale = client.post(reverse("webhooks:edit", args=[subscription.pk]), {**data, "name": "Mine"})
    assert stale.status_code == 200
    assert stale.context["form"].non_field_errors()
    subscription.refresh_from_db()
    assert subscription.name == "Renamed"


def test_the_delivery_log_shows_attempts_and_redelivers(
    client, org, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe(["account.created"])
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        create_account(org.east_rep, {"name": "Log Ltd"})
    failed = WebhookDelivery.objects.get()
    client.force_login(org.admin)
    page = client.get(reverse("webhooks:deliveries", args=[subscription.pk]))
    text = page.content.decode()
    assert f'data-delivery="{failed.pk}" data-status="failed"' in text
    assert "something broke" in text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhooks:redeliver", args=[failed.pk]))
    assert response.status_code == 302
    assert subscription.deliveries.filter(status=DeliveryStatus.SUCCEEDED).count() == 1
    filtered = client.get(
        reverse("webhooks:deliveries", args=[subscription.pk]), {"status": "succeeded"}
    )
    assert list(filtered.context["page"]) == [subscription.deliveries.get(status="succeeded")]


def test_the_list_and_the_admin_menu_show_webhooks(client, org, subscribe):
    subscribe(["*"], name="Data warehouse")
    client.force_login(org.admin)
    page = client.get(reverse("webhooks:list")).content.decode()
    assert "Data warehouse" in page
    assert f'href="{reverse("webhooks:list")}"' in page


@pytest.mark.parametrize("who", ["director", "east_rep", "read_only"])
def test_anyone_but_an_administrator_gets_403_on_every_page(client, org, subscribe, who):
    subscription = subscribe(["*"])
    row = WebhookDelivery.objects.create(subscription=subscription, event="ping")
    client.force_login(getattr(org, who))
    for name, args in (
        ("webhooks:list", []),
        ("webhooks:create", []),
        ("webhooks:edit", [subscription.pk]),
        ("webhooks:deliveries", [subscription.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403
    for name, args in (
        ("webhooks:test", [subscription.pk]),
        ("webhooks:rotate-secret", [subscription.pk]),
        ("webhooks:delete", [subscription.pk]),
        ("webhooks:redeliver", [row.pk]),
    ):
        assert client.post(reverse(name, args=args)).status_code == 403
    assert WebhookSubscription.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1
    assert 'href="/admin/webhooks/"' not in client.get("/").content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("webhooks:list"))
    assert response.status_code == 302
    assert "/auth/login/" in response["Location"]


def test_rotating_the_secret_and_deleting(client, org, subscribe):
    subscription = subscribe(["*"])
    old = subscription.secret
    client.force_login(org.admin)
    response = client.post(reverse("webhooks:rotate-secret", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.secret != old
    assert subscription.secret in response.content.decode()
    client.post(
        reverse("webhooks:delete", args=[subscription.pk]), {"version": subscription.version}
    )
    assert not WebhookSubscription.objects.exists()
