"""Webhook use-cases: administrators manage subscriptions, test them and redeliver events.

Every function takes the acting user and refuses anyone who does not administer webhooks (the
administrator role); writes are version-checked compare-and-sets and go to the change log,
without the secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import changelog
from guanxi.core.context import current_request_id
from guanxi.core.models import ChangeAction

from . import delivery
from .models import WebhookDelivery, WebhookSubscription, new_secret

FIELDS = ("name", "target_url", "events", "is_active")
_EVENT_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*\.\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$")
PING_EVENT = "ping"


def can_manage(actor: Any) -> bool:
    """Administrators manage webhooks: a subscription sees every event of the organisation."""
    return bool(
        actor is not None
        and actor.is_authenticated
        and actor.is_active
        and actor.is_admin_for("webhook")
    )


def require_manager(actor: Any) -> None:
    if not can_manage(actor):
        raise PermissionDenied(_("Only administrators manage webhooks."))


def clean_events(value: Any) -> list[str]:
    """The event patterns of a subscription, checked and without duplicates."""
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise ValidationError({"events": _("Give a list of event names.")})
    patterns: list[str] = []
    for item in value:
        pattern = str(item).strip()
        if not _EVENT_PATTERN.match(pattern):
            raise ValidationError(
                {
                    "events": _(
                        '"%(pattern)s" is not an event name: use names like lead.converted, '
                        "lead.* or *."
                    )
                    % {"pattern": pattern[:100]}
                }
            )
        if pattern not in patterns:
            patterns.append(pattern)
    if not patterns:
        raise ValidationError({"events": _("Choose at least one event.")})
    return patterns


def _apply(subscription: WebhookSubscription, data: Mapping[str, Any]) -> None:
    unknown = [key for key in data if key not in FIELDS]
    if unknown:
        raise ValidationError({key: _("This field cannot be set.") for key in unknown})
    for key, value in data.items():
        if key == "events":
            value = clean_events(value)
        elif key in ("name", "target_url") and isinstance(value, str):
            value = value.strip()
        setattr(subscription, key, value)


def _logged(subscription: WebhookSubscription) -> dict[str, Any]:
    # the secret never goes into the change log
    values = changelog.snapshot(subscription)
    values.pop("secret", None)
    return values


@transaction.atomic
def create_subscription(actor: Any, data: Mapping[str, Any]) -> WebhookSubscription:
    """Subscribe a URL to events; the subscription gets a new secret (shown to the caller
    once)."""
    require_manager(actor)
    subscription = WebhookSubscription(created_by=actor if getattr(actor, "pk", None) else None)
    _apply(subscription, {"is_active": True, **data})
    if "events" not in data:
        raise ValidationError({"events": _("Choose at least one event.")})
    subscription.full_clean()
    subscription.save(force_insert=True)
    changes = {
        name: [None, value]
        for name, value in _logged(subscription).items()
        if value not in ("", None) and name not in ("created_at", "created_by")
    }
    changelog.log_change(actor, subscription, ChangeAction.CREATE, changes)
    delivery.forget_subscriptions()
    return subscription


def _locked(subscription: WebhookSubscription, expected_version: int | None) -> Any:
    from guanxi.core.errors import StaleVersion

    current = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current, expected_version)
    return current


@transaction.atomic
def update_subscription(
    actor: Any,
    subscription: WebhookSubscription,
    data: Mapping[str, Any],
    *,
    expected_version: int | None,
) -> WebhookSubscription:
    """Change a subscription if it is still at ``expected_version`` (else ``StaleVersion``)."""
    require_manager(actor)
    current = _locked(subscription, expected_version)
    before = _logged(current)
    _apply(current, data)
    current.full_clean()
    current.updated_at = timezone.now()
    changes = changelog.diff(before, _logged(current))
    changes.pop("updated_at", None)
    WebhookSubscription.objects.filter(pk=current.pk).update(
        name=current.name,
        target_url=current.target_url,
        events=current.events,
        is_active=current.is_active,
        updated_at=current.updated_at,
        version=F("version") + 1,
    )
    current.version += 1
    if changes:
        changelog.log_change(actor, current, ChangeAction.UPDATE, changes)
    delivery.forget_subscriptions()
    return current


@transaction.atomic
def delete_subscription(
    actor: Any, subscription: WebhookSubscription, *, expected_version: int | None
) -> None:
    """Remove a subscription and its delivery log; nothing more is sent to it."""
    require_manager(actor)
    current = _locked(subscription, expected_version)
    changelog.log_change(actor, current, ChangeAction.DELETE, _logged(current))
    current.delete()
    delivery.forget_subscriptions()


@transaction.atomic
def regenerate_secret(
    actor: Any, subscription: WebhookSubscription, *, expected_version: int | None = None
) -> WebhookSubscription:
    """Give the subscription a new secret; deliveries are signed with it from now on."""
    require_manager(actor)
    current = _locked(subscription, expected_version)
    current.secret = new_secret()
    current.updated_at = timezone.now()
    WebhookSubscription.objects.filter(pk=current.pk).update(
        secret=current.secret, updated_at=current.updated_at, version=F("version") + 1
    )
    current.version += 1
    changelog.log_change(
        actor, current, ChangeAction.UPDATE, {"secret": ["(old secret)", "(new secret)"]}
    )
    return current


@transaction.atomic
def send_test(actor: Any, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a ``ping`` event to the subscription (whatever events it wants), sent after the
    commit like every delivery; its outcome shows in the delivery log."""
    require_manager(actor)
    now = timezone.now()
    row = WebhookDelivery(
        subscription=subscription, event=PING_EVENT, created_at=now, next_attempt_at=now
    )
    row.payload = {
        "id": str(row.pk),
        "event": PING_EVENT,
        "occurred_at": now.isoformat(),
        "object": {
            "type": subscription._meta.model_name,
            "id": subscription.pk,
            "data": {"name": subscription.name, "events": list(subscription.events)},
        },
        "actor_id": actor.pk,
        "data": {"message": "Guanxi webhook test"},
        "request_id": current_request_id(),
    }
    row.save(force_insert=True)
    delivery.enqueue_sending([row])
    return row


@transaction.atomic
def redeliver(actor: Any, original: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event again as a new delivery (with a new id), kept in the log next
    to the original."""
    require_manager(actor)
    if not original.subscription.is_active:
        raise ValidationError(
            {"subscription": _("The webhook is inactive; activate it to send events again.")}
        )
    now = timezone.now()
    row = WebhookDelivery(
        subscription=original.subscription,
        event=original.event,
        created_at=now,
        next_attempt_at=now,
        redelivery_of=original,
    )
    row.payload = {**original.payload, "id": str(row.pk)}
    row.save(force_insert=True)
    delivery.enqueue_sending([row])
    return row


def deliveries_for(actor: Any, subscription: WebhookSubscription) -> Any:
    """The delivery log of a subscription, newest first."""
    require_manager(actor)
    return subscription.deliveries.order_by("-created_at")


__all__ = [
    "can_manage",
    "clean_events",
    "create_subscription",
    "delete_subscription",
    "deliveries_for",
    "redeliver",
    "regenerate_secret",
    "send_test",
    "update_subscription",
]
