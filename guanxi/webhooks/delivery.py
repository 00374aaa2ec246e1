"""Turning domain events into signed HTTP POSTs, after the commit and off the request.

1. :func:`on_event` is subscribed to every domain event (``guanxi.core.events`` calls it once
   the emitting transaction has committed). It only writes a :class:`WebhookDelivery` per
   matching active subscription and enqueues :func:`send_deliveries` through
   ``guanxi.core.jobs``; it never makes an HTTP call itself.
2. :func:`attempt` claims one due delivery, POSTs it (:func:`post`) and records the outcome: a
   2xx answer is a success; anything else is retried after the next delay of
   :func:`retry_delays` (1 min, 5 min, 30 min, 2 h, 12 h), then given up.
3. :func:`retry_due_deliveries` is the periodic job (Celery beat or ``manage.py
   retry_webhook_deliveries``) that sends the retries that are due.

Signature: ``X-Guanxi-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` keyed with
the subscription's secret, ``<timestamp>`` being ``X-Guanxi-Timestamp`` (Unix seconds).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from guanxi.core import changelog, jobs
from guanxi.core.events import DomainEvent, matches

from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

ACTIVE_CACHE_KEY = "guanxi:webhooks:active"
USER_AGENT = "Guanxi-Webhooks/1"
#: How long a claimed delivery is reserved for the sender before another may take it over
#: (a sender that died mid-send is retried once this has passed).
CLAIM_SECONDS = 120
#: Keys never copied into a payload, whatever object they come from.
SECRET_KEYS = ("password", "secret", "token", "api_key", "apikey")
RESPONSE_EXCERPT = 2000
RESPONSE_READ_LIMIT = 64 * 1024


def retry_delays() -> list[int]:
    """Seconds to wait after the 1st, 2nd … failed attempt; one attempt more than delays."""
    return list(getattr(settings, "GUANXI_WEBHOOK_RETRY_DELAYS", [60, 300, 1800, 7200, 43200]))


def timeout_seconds() -> float:
    return float(getattr(settings, "GUANXI_WEBHOOK_TIMEOUT", 5))


def max_attempts() -> int:
    return len(retry_delays()) + 1


# --------------------------------------------------------------------------------------------
# from event to delivery rows
# --------------------------------------------------------------------------------------------


def active_subscriptions() -> list[tuple[int, list[str]]]:
    """(id, event patterns) of the active subscriptions, cached: every event asks."""
    cached = cache.get(ACTIVE_CACHE_KEY)
    if cached is None:
        cached = [
            (pk, list(events or []))
            for pk, events in WebhookSubscription.objects.filter(is_active=True).values_list(
                "pk", "events"
            )
        ]
        cache.set(ACTIVE_CACHE_KEY, cached, 60)
    return cached


def forget_subscriptions() -> None:
    """Drop the cached list after a subscription changed (now and once the change commits)."""
    cache.delete(ACTIVE_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(ACTIVE_CACHE_KEY))


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _without_secrets(item)
            for key, item in value.items()
            if not any(word in str(key).lower() for word in SECRET_KEYS)
        }
    if isinstance(value, list):
        return [_without_secrets(item) for item in value]
    return value


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _model_for(object_type: str) -> type[models.Model] | None:
    for model in apps.get_models():
        if model._meta.model_name == object_type:
            return model
    return None


def _serializer_for(model: type[models.Model]) -> Any:
    """The serializer of the API endpoint that lists this model, if there is one."""
    from django.urls import get_resolver

    from guanxi.core.api.router import router

    get_resolver().url_patterns  # noqa: B018 - loads the URLconf, which registers every endpoint
    for _prefix, viewset, _basename in router.registry:
        served = getattr(viewset, "model", None) or getattr(
            getattr(viewset, "queryset", None), "model", None
        )
        if served is model and getattr(viewset, "serializer_class", None) is not None:
            return viewset.serializer_class
    return None


def object_snapshot(object_type: str, object_id: Any) -> dict[str, Any] | None:
    """The object as the API shows it (its serializer), else as the change log stores it.

    Keys that name secrets (passwords, tokens …) are left out. None when it no longer exists.
    """
    model = _model_for(object_type)
    if model is None:
        return None
    manager = getattr(model, "all_objects", model._default_manager)
    obj = manager.filter(pk=object_id).first()
    if obj is None:
        return None
    data: Any = None
    serializer_class = _serializer_for(model)
    if serializer_class is not None:
        try:
            data = dict(serializer_class(obj, context={"request": None}).data)
        except Exception:  # a serializer that needs a request: fall back on the snapshot
            logger.warning("no API representation of %s #%s", object_type, object_id, exc_info=True)
            data = None
    if data is None:
        if model._meta.model_name == "user":
            data = {
                name: getattr(obj, name, None)
                for name in ("username", "email", "first_name", "last_name", "kind", "is_active")
            }
            data["team"] = getattr(obj, "team_id", None)
        else:
            data = changelog.snapshot(obj)
        data = {"id": obj.pk, **data}
    return _json_safe(_without_secrets(data))


def build_payload(event: DomainEvent, delivery_id: Any, snapshot: Any) -> dict[str, Any]:
    """The JSON body of one delivery."""
    return {
        "id": str(delivery_id),
        "event": event.name,
        "occurred_at": event.at,
        "object": {"type": event.object_type, "id": event.object_id, "data": snapshot},
        "actor_id": event.actor_id,
        "data": _json_safe(_without_secrets(event.payload)),
        "request_id": event.request_id,
    }


def on_event(event: DomainEvent) -> list[WebhookDelivery]:
    """Queue ``event`` for every active subscription that wants it (after the commit).

    Writes the delivery rows and enqueues their sending; no HTTP call happens here.
    """
    wanted = [
        pk
        for pk, patterns in active_subscriptions()
        if any(matches(pattern, event.name) for pattern in patterns)
    ]
    if not wanted:
        return []
    # The cached list may be a minute old: only subscriptions still there and active.
    wanted = list(
        WebhookSubscription.objects.filter(pk__in=wanted, is_active=True).values_list(
            "pk", flat=True
        )
    )
    if not wanted:
        return []
    snapshot = object_snapshot(event.object_type, event.object_id)
    now = timezone.now()
    with transaction.atomic():
        rows = []
        for subscription_id in wanted:
            delivery = WebhookDelivery(
                subscription_id=subscription_id,
                event=event.name,
                created_at=now,
                next_attempt_at=now,
            )
            delivery.payload = build_payload(event, delivery.pk, snapshot)
            rows.append(delivery)
        WebhookDelivery.objects.bulk_create(rows)
        enqueue_sending(rows)
    return rows


def enqueue_sending(deliveries: list[WebhookDelivery]) -> None:
    """Send these deliveries in the background once the current transaction commits."""
    if deliveries:
        jobs.enqueue("guanxi.webhooks.delivery.send_deliveries", [str(d.pk) for d in deliveries])


# --------------------------------------------------------------------------------------------
# sending
# --------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def encode_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


@dataclass
class Outcome:
    status_code: int | None
    response: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: never followed (a POST is not re-sent
    somewhere the administrator did not name)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _excerpt(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")[:RESPONSE_EXCERPT]


def post(url: str, secret: str, event: str, delivery_id: str, body: bytes) -> Outcome:
    """POST ``body`` to ``url`` with the Guanxi headers; never raises for network trouble."""
    if urlsplit(url).scheme not in ("http", "https"):
        return Outcome(None, "", "Refused: only http and https addresses are called.", 0)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Guanxi-Event": event,
            "X-Guanxi-Delivery": delivery_id,
            "X-Guanxi-Timestamp": timestamp,
            "X-Guanxi-Signature": sign(secret, timestamp, body),
        },
    )
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=timeout_seconds()) as response:
            raw = response.read(RESPONSE_READ_LIMIT)
            code = response.status
        error = ""
    except urllib.error.HTTPError as exc:  # a non-2xx answer (redirects included)
        code = exc.code
        try:
            raw = exc.read(RESPONSE_READ_LIMIT)
        except Exception:
            raw = b""
        error = f"HTTP {exc.code} {exc.reason}"
    except Exception as exc:  # refused, unreachable, timed out, TLS …
        reason = getattr(exc, "reason", None) or exc
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(None, "", f"{type(exc).__name__}: {reason}"[:500], elapsed)
    elapsed = int((time.monotonic() - started) * 1000)
    return Outcome(code, _excerpt(raw), error[:500], elapsed)


def _claim(delivery_id: Any, now: datetime) -> bool:
    """Reserve a due delivery for this sender (so a retry job and a fresh send never both
    send it); the reservation lapses after :data:`CLAIM_SECONDS`."""
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED),
            next_attempt_at__lte=now,
        ).update(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
    )


def attempt(delivery_id: Any, now: datetime | None = None) -> WebhookDelivery | None:
    """Send one due delivery and record the outcome; None when it was not due (or taken)."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    fields: dict[str, Any]
    if not subscription.is_active:
        fields = {
            "status": DeliveryStatus.GAVE_UP,
            "next_attempt_at": None,
            "last_error": "The webhook is inactive.",
        }
    else:
        outcome = post(
            subscription.target_url,
            subscription.secret,
            delivery.event,
            str(delivery.pk),
            encode_body(delivery.payload),
        )
        attempts = delivery.attempts + 1
        fields = {
            "attempts": attempts,
            "last_status_code": outcome.status_code,
            "last_response": outcome.response,
            "last_error": "" if outcome.ok else outcome.error,
            "duration_ms": outcome.duration_ms,
        }
        delays = retry_delays()
        if outcome.ok:
            fields.update(
                status=DeliveryStatus.SUCCEEDED, delivered_at=timezone.now(), next_attempt_at=None
            )
        elif attempts > len(delays):
            fields.update(status=DeliveryStatus.GAVE_UP, next_attempt_at=None)
        else:
            fields.update(
                status=DeliveryStatus.FAILED,
                next_attempt_at=now + timedelta(seconds=delays[attempts - 1]),
            )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)
    return delivery


def send_deliveries(delivery_ids: list[str]) -> int:
    """The background job the event handler enqueues: try each delivery once. Returns how
    many succeeded."""
    done = 0
    for delivery_id in delivery_ids:
        try:
            result = attempt(delivery_id)
        except Exception:  # one broken row must not keep the others from going out
            logger.exception("webhook delivery %s failed", delivery_id)
            continue
        done += bool(result and result.status == DeliveryStatus.SUCCEEDED)
    return done


def retry_due_deliveries(
    now: datetime | None = None, limit: int = 500, budget_seconds: float = 50.0
) -> dict[str, int]:
    """The periodic job: send the deliveries whose next attempt is due, oldest first.

    Stops after ``limit`` deliveries or ``budget_seconds`` so runs do not pile up (the rest go
    next time), and drops finished deliveries older than ``GUANXI_WEBHOOK_LOG_DAYS``.
    """
    now = now or timezone.now()
    started = time.monotonic()
    due = list(
        WebhookDelivery.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED),
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"due": len(due), "succeeded": 0, "failed": 0, "gave_up": 0}
    for delivery_id in due:
        if time.monotonic() - started > budget_seconds:
            break
        try:
            result = attempt(delivery_id, now)
        except Exception:
            logger.exception("webhook delivery %s failed", delivery_id)
            continue
        if result is not None and result.status in counts:
            counts[result.status] += 1
    counts["purged"] = purge_old_deliveries(now)
    return counts


def purge_old_deliveries(now: datetime | None = None) -> int:
    """Delete finished deliveries older than the log's retention (30 days by default)."""
    days = int(getattr(settings, "GUANXI_WEBHOOK_LOG_DAYS", 30))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = WebhookDelivery.objects.filter(
        created_at__lt=cutoff, status__in=(DeliveryStatus.SUCCEEDED, DeliveryStatus.GAVE_UP)
    ).delete()
    return deleted
