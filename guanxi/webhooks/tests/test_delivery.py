"""Domain events reach subscribed URLs after the commit, signed, with retries and backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from guanxi.core import events, people
from guanxi.customers.services import create_account
from guanxi.webhooks import delivery, services
from guanxi.webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def test_an_event_is_posted_once_committed_signed_with_the_secret(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    # given a webhook for created accounts
    subscription = subscribe(["account.created"])
    # when a rep creates an account
    with django_capture_on_commit_callbacks(execute=True):
        account = create_account(org.east_rep, {"name": "上海星河贸易有限公司"})
        # then nothing is written or sent before the commit
        assert WebhookDelivery.objects.count() == 0
        assert receiver.requests == []
    # and once committed, one signed POST arrives
    assert len(receiver.requests) == 1
    received = receiver.requests[0]
    headers = received.headers
    assert received.path == "/hooks/guanxi"
    assert headers["content-type"] == "application/json"
    assert headers["x-guanxi-event"] == "account.created"
    timestamp = headers["x-guanxi-timestamp"]
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    assert headers["x-guanxi-signature"] == expected_signature(
        subscription.secret, timestamp, received.body
    )
    body = json.loads(received.body)
    assert set(body) == {
        "id",
        "event",
        "occurred_at",
        "object",
        "actor_id",
        "data",
        "request_id",
    }
    assert body["id"] == headers["x-guanxi-delivery"]
    assert body["event"] == "account.created"
    assert body["actor_id"] == org.east_rep.pk
    assert body["object"]["type"] == "account"
    assert body["object"]["id"] == account.pk
    # the object as the API shows it (GET /api/v1/accounts/<id>/)
    assert body["object"]["data"]["name"] == "上海星河贸易有限公司"
    assert body["object"]["data"]["etag"] == f'"account-{account.pk}-v1"'
    # and the log says it succeeded
    row = WebhookDelivery.objects.get()
    assert str(row.pk) == body["id"]
    assert row.status == DeliveryStatus.SUCCEEDED
    assert row.attempts == 1
    assert row.last_status_code == 200
    assert row.last_response == "thanks"
    assert row.delivered_at is not None
    assert row.duration_ms is not None


def test_a_rolled_back_transaction_sends_nothing(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    # given a webhook for every event
    subscribe(["*"])
    # when an account is created in a transaction that is rolled back
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create_account(org.east_rep, {"name": "Rolled back Ltd"})
        raise RuntimeError("the request failed")
    # then nothing is logged or sent
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_a_failed_answer_is_retried_with_backoff_by_the_retry_job(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    # given a receiver that answers 500 once, then 200
    subscribe(["account.created"])
    receiver.answers = [500]
    started = timezone.now()
    # when an account is created
    with django_capture_on_commit_callbacks(execute=True):
        create_account(org.east_rep, {"name": "Retry Ltd"})
    # then the first attempt failed and the next is due in a minute
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == 1
    assert row.last_status_code == 500
    assert row.last_response == "something broke"
    assert started + timedelta(seconds=59) <= row.next_attempt_at
    assert row.next_attempt_at <= timezone.now() + timedelta(seconds=61)
    # when the retry job runs before then, nothing is sent
    assert delivery.retry_due_deliveries(now=timezone.now())["due"] == 0
    assert len(receiver.requests) == 1
    # when it runs after the pause, the same delivery is sent again and succeeds
    done = delivery.retry_due_deliveries(now=timezone.now() + timedelta(seconds=61))
    assert done["succeeded"] == 1
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.headers["x-guanxi-delivery"] == second.headers["x-guanxi-delivery"]
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SUCCEEDED
    assert row.attempts == 2
    assert row.next_attempt_at is None


def test_the_pauses_grow_and_the_delivery_gives_up_after_the_last_attempt(
    org, receiver, subscribe, settings, django_capture_on_commit_callbacks
):
    # given a receiver that always fails and a two-retry schedule
    settings.GUANXI_WEBHOOK_RETRY_DELAYS = [60, 300]
    receiver.default = 503
    subscribe(["account.created"])
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        create_account(org.east_rep, {"name": "Never Ltd"})
    row = WebhookDelivery.objects.get()
    # when the retry job runs at each due time
    later = now + timedelta(seconds=61)
    delivery.retry_due_deliveries(now=later)
    row.refresh_from_db()
    # then the second pause is the longer one
    assert row.status == DeliveryStatus.FAILED
    assert row.next_attempt_at == later + timedelta(seconds=300)
    delivery.retry_due_deliveries(now=row.next_attempt_at)
    # and after the third attempt it gives up
    row.refresh_from_db()
    assert row.status == DeliveryStatus.GAVE_UP
    assert row.attempts == 3
    assert row.next_attempt_at is None
    assert row.last_status_code == 503
    assert delivery.retry_due_deliveries(now=now + timedelta(days=2))["due"] == 0
    assert len(receiver.requests) == 3


def test_an_unreachable_receiver_is_a_failed_attempt_with_the_error(
    org, subscribe, django_capture_on_commit_callbacks
):
    # given a webhook whose server is down (nothing listens on the port)
    subscription = subscribe(["account.created"])
    services.update_subscription(
        org.admin,
        subscription,
        {"target_url": "http://127.0.0.1:9/down"},
        expected_version=subscription.version,
    )
    # when an event is delivered
    with django_capture_on_commit_callbacks(execute=True):
        create_account(org.east_rep, {"name": "Down Ltd"})
    # then the attempt failed without a status code, with the reason
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.FAILED
    assert row.last_status_code is None
    assert row.last_error


def test_events_a_webhook_does_not_want_create_no_delivery(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    # given a webhook for won deals and an inactive one for everything
    subscribe(["opportunity.won"])
    subscribe(["*"], name="Paused", is_active=False)
    # when an account is created
    with django_capture_on_commit_callbacks(execute=True):
        create_account(org.east_rep, {"name": "Quiet Ltd"})
    # then nothing is logged or sent
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_the_pattern_lead_star_matches_lead_converted(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    from guanxi.leads.services import convert_lead, create_lead

    # given a webhook for every lead event, and a lead
    lead = create_lead(org.east_rep, {"person_name": "王芳", "company": "华东电子"}, assign=False)
    subscribe(["lead.*"])
    # when the rep converts the lead (which also creates an account, a contact and a deal)
    with django_capture_on_commit_callbacks(execute=True):
        account, contact, opportunity = convert_lead(org.east_rep, lead)
    # then lead.converted is delivered with what the lead became, and no account event
    events_sent = [r.headers["x-guanxi-event"] for r in receiver.requests]
    assert "lead.converted" in events_sent
    assert all(name.startswith("lead.") for name in events_sent)
    row = WebhookDelivery.objects.get(event="lead.converted")
    assert row.payload["object"] == {
        "type": "lead",
        "id": lead.pk,
        "data": row.payload["object"]["data"],
    }
    assert row.payload["object"]["data"]["status"] == "converted"
    assert row.payload["data"] == {
        "account_id": account.pk,
        "contact_id": contact.pk,
        "opportunity_id": opportunity.pk,
    }
    assert row.status == DeliveryStatus.SUCCEEDED


def test_event_patterns_match_names_types_and_everything():
    assert events.matches("lead.*", "lead.converted")
    assert events.matches("*", "opportunity.won")
    assert events.matches("opportunity.won", "opportunity.won")
    assert not events.matches("lead.*", "leads.created")
    assert not events.matches("lead.created", "lead.converted")


def test_payloads_leave_out_secrets(org, receiver, subscribe, django_capture_on_commit_callbacks):
    # given a webhook for new users
    subscribe(["user.created"])
    # when an administrator creates a user with a password
    with django_capture_on_commit_callbacks(execute=True):
        people.create_user(
            org.admin, {"username": "newbie", "email": "n@example.com"}, password="S3cret-pw-99"
        )
    # then the body has the user but no password, hashed or not
    body = receiver.requests[0].body.decode()
    assert '"username":"newbie"' in body
    assert "password" not in body
    assert "S3cret" not in body


def test_only_http_and_https_targets_are_accepted(org):
    for url in ("ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "nowhere"):
        with pytest.raises(ValidationError) as caught:
            services.create_subscription(
                org.admin, {"name": "Bad", "target_url": url, "events": ["*"]}
            )
        assert "target_url" in caught.value.message_dict
    refused = delivery.post("file:///etc/passwd", "s", "ping", "x", b"{}")
    assert refused.status_code is None and "Refused" in refused.error


def test_event_names_are_checked(org, receiver):
    with pytest.raises(ValidationError) as caught:
        services.create_subscription(
            org.admin, {"name": "Bad", "target_url": receiver.url, "events": ["lead converted"]}
        )
    assert "events" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.create_subscription(
            org.admin, {"name": "Empty", "target_url": receiver.url, "events": []}
        )


def test_a_redirect_is_not_followed(org, receiver, subscribe, django_capture_on_commit_callbacks):
    # given a receiver that answers with a redirect
    receiver.answers = [302]
    subscribe(["account.created"])
    with django_capture_on_commit_callbacks(execute=True):
        create_account(org.east_rep, {"name": "Moved Ltd"})
    # then it counts as a failed attempt and only one request was made
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.FAILED
    assert row.last_status_code == 302
    assert len(receiver.requests) == 1


def test_redelivery_sends_the_event_again_as_a_new_delivery(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    # given a delivered event
    subscribe(["account.created"])
    with django_capture_on_commit_callbacks(execute=True):
        create_account(org.east_rep, {"name": "Again Ltd"})
    original = WebhookDelivery.objects.get()
    # when an administrator redelivers it
    with django_capture_on_commit_callbacks(execute=True):
        again = services.redeliver(org.admin, original)
    # then a new delivery with its own id carries the same event and object
    again.refresh_from_db()
    assert again.pk != original.pk
    assert again.redelivery_of == original
    assert again.status == DeliveryStatus.SUCCEEDED
    first, second = (json.loads(r.body) for r in receiver.requests)
    assert second["id"] == str(again.pk)
    assert {k: v for k, v in second.items() if k != "id"} == {
        k: v for k, v in first.items() if k != "id"
    }


def test_a_test_ping_reaches_the_receiver(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe(["opportunity.won"])
    with django_capture_on_commit_callbacks(execute=True):
        services.send_test(org.admin, subscription)
    assert receiver.requests[0].headers["x-guanxi-event"] == "ping"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_rotated_secret_signs_the_next_deliveries(
    org, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe(["account.created"])
    old = subscription.secret
    rotated = services.regenerate_secret(org.admin, subscription)
    assert rotated.secret != old
    with django_capture_on_commit_callbacks(execute=True):
        create_account(org.east_rep, {"name": "Rotated Ltd"})
    received = receiver.requests[0]
    timestamp = received.headers["x-guanxi-timestamp"]
    assert received.headers["x-guanxi-signature"] == expected_signature(
        rotated.secret, timestamp, received.body
    )


def test_only_administrators_manage_webhooks(org, receiver):
    from django.core.exceptions import PermissionDenied

    for user in (org.director, org.east_rep, org.read_only):
        with pytest.raises(PermissionDenied):
            services.create_subscription(
                user, {"name": "Mine", "target_url": receiver.url, "events": ["*"]}
            )


def test_the_change_log_never_holds_the_secret(org, subscribe):
    from guanxi.core.models import ChangeLogEntry

    subscription = subscribe(["*"])
    services.regenerate_secret(org.admin, subscription)
    logged = json.dumps(
        list(ChangeLogEntry.objects.filter(object_type="webhooksubscription").values("changes"))
    )
    assert subscription.secret not in logged
    assert "whsec_" not in logged


def test_old_finished_deliveries_are_purged(org, subscribe):
    subscription = subscribe(["*"])
    old = timezone.now() - timedelta(days=31)
    WebhookDelivery.objects.create(
        subscription=subscription, event="x.y", status=DeliveryStatus.SUCCEEDED, created_at=old
    )
    waiting = WebhookDelivery.objects.create(
        subscription=subscription,
        event="x.y",
        status=DeliveryStatus.FAILED,
        created_at=old,
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )
    assert delivery.purge_old_deliveries() == 1
    assert list(WebhookDelivery.objects.all()) == [waiting]


def test_known_event_names_include_those_emitted():
    names = events.event_names()
    assert {"lead.converted", "opportunity.won", "account.returned_to_pool"} <= set(names)
