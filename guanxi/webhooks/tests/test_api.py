"""The webhook API: administrators only, versioned writes, test pings, the delivery log."""

from __future__ import annotations

import pytest

from guanxi.core.api.testing import client_for, write
from guanxi.customers.services import create_account
from guanxi.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db

LIST = "/api/v1/webhooks/"


def test_an_administrator_creates_a_webhook_and_sees_its_secret_once(org, receiver):
    client = client_for(org.admin)
    # when an administrator creates a webhook
    response = write(
        client,
        "post",
        LIST,
        {"name": "ERP", "target_url": receiver.url, "events": ["lead.*", "opportunity.won"]},
    )
    # then the answer carries the secret and the ETag
    assert response.status_code == 201, response.content
    created = response.json()
    subscription = WebhookSubscription.objects.get()
    assert created["secret"] == subscription.secret
    assert created["events"] == ["lead.*", "opportunity.won"]
    assert created["created_by"]["id"] == org.admin.pk
    assert response["ETag"] == f'"webhooksubscription-{subscription.pk}-v1"'
    # and reading it again never shows the secret
    detail = client.get(f"{LIST}{subscription.pk}/")
    assert "secret" not in detail.json()
    assert subscription.secret not in client.get(LIST).content.decode()


def test_writes_need_the_current_version(org, subscribe):
    subscription = subscribe(["*"])
    client = client_for(org.admin)
    url = f"{LIST}{subscription.pk}/"
    etag = client.get(url)["ETag"]
    assert write(client, "patch", url, {"is_active": False}).status_code == 428
    changed = write(client, "patch", url, {"is_active": False}, etag=etag)
    assert changed.status_code == 200
    assert changed.json()["is_active"] is False
    # a write on the old version is refused with the current ETag
    stale = write(client, "patch", url, {"name": "Other"}, etag=etag)
    assert stale.status_code == 412
    assert stale["ETag"] == changed["ETag"]
    assert write(client, "delete", url, etag=changed["ETag"]).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_bad_input_answers_400_naming_the_field(org, receiver):
    client = client_for(org.admin)
    bad_url = write(
        client, "post", LIST, {"name": "x", "target_url": "ftp://x.example", "events": ["*"]}
    )
    assert bad_url.status_code == 400
    assert "target_url" in bad_url.json()
    bad_events = write(
        client, "post", LIST, {"name": "x", "target_url": receiver.url, "events": ["no way"]}
    )
    assert bad_events.status_code == 400
    assert "events" in bad_events.json()
    protected = write(
        client,
        "post",
        LIST,
        {"name": "x", "target_url": receiver.url, "events": ["*"], "secret": "mine"},
    )
    assert protected.status_code == 201
    assert protected.json()["secret"] != "mine"


@pytest.mark.parametrize("who", ["director", "east_manager", "east_rep", "read_only", "service"])
def test_anyone_but_an_administrator_gets_403(org, subscribe, who):
    subscription = subscribe(["*"])
    row = WebhookDelivery.objects.create(subscription=subscription, event="ping")
    client = client_for(getattr(org, who))
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{subscription.pk}/").status_code == 403
    assert write(client, "post", LIST, {"name": "x", "events": ["*"]}).status_code == 403
    assert write(client, "post", f"{LIST}{subscription.pk}/test/").status_code == 403
    assert client.get(f"{LIST}{subscription.pk}/deliveries/").status_code == 403
    assert client.get("/api/v1/webhook-deliveries/").status_code == 403
    redeliver = write(client, "post", f"/api/v1/webhook-deliveries/{row.pk}/redeliver/")
    assert redeliver.status_code == 403
    assert WebhookDelivery.objects.count() == 1


def test_anonymous_callers_are_refused(db):
    assert client_for(None).get(LIST).status_code in (401, 403)


def test_the_test_action_pings_and_the_log_shows_it(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe(["opportunity.won"])
    client = client_for(org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = write(client, "post", f"{LIST}{subscription.pk}/test/")
    assert response.status_code == 202
    assert response.json()["event"] == "ping"
    assert receiver.requests[0].headers["x-guanxi-event"] == "ping"
    log = client.get(f"{LIST}{subscription.pk}/deliveries/").json()
    assert log["count"] == 1
    assert log["results"][0]["status"] == DeliveryStatus.SUCCEEDED
    assert log["results"][0]["last_status_code"] == 200


def test_a_delivery_is_redelivered_through_the_api(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe(["account.created"])
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        create_account(org.east_rep, {"name": "API Ltd"})
    failed = WebhookDelivery.objects.get()
    client = client_for(org.admin)
    listed = client.get("/api/v1/webhook-deliveries/", {"status": "failed"}).json()
    assert [d["id"] for d in listed["results"]] == [str(failed.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        response = write(client, "post", f"/api/v1/webhook-deliveries/{failed.pk}/redeliver/")
    assert response.status_code == 201
    again = response.json()
    assert again["redelivery_of"] == str(failed.pk)
    assert subscription.deliveries.get(pk=again["id"]).status == DeliveryStatus.SUCCEEDED
    assert subscription.deliveries.count() == 2


def test_rotating_the_secret_answers_the_new_one(org, subscribe):
    subscription = subscribe(["*"])
    response = write(client_for(org.admin), "post", f"{LIST}{subscription.pk}/rotate-secret/")
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert response.json()["secret"] == subscription.secret


def test_the_webhook_endpoints_are_in_the_schema(org):
    schema = client_for(org.admin).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/webhooks/" in paths
    assert "/api/v1/webhooks/{id}/test/" in paths
    assert "/api/v1/webhooks/{id}/deliveries/" in paths
    assert "/api/v1/webhook-deliveries/{id}/redeliver/" in paths
