"""Webhooks: subscriptions to domain events, and the log of every delivery to them.

A subscription names a target URL and the events it wants (exact names, ``lead.*`` for every
event of an object type, ``*`` for all). Each matching event becomes a :class:`WebhookDelivery`
row after the commit of the transaction that emitted it; a background job POSTs it, signed with
the subscription's secret, and retries with backoff until it succeeds or gives up.
"""

from __future__ import annotations

import json
import secrets
import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.events import matches


def new_secret() -> str:
    """A random signing secret (256 bits, URL-safe)."""
    return "whsec_" + secrets.token_urlsafe(32)


validate_target_url = URLValidator(
    schemes=["http", "https"], message=_("Enter an http:// or https:// address.")
)


class WebhookSubscription(models.Model):
    """Where to POST which events, and the secret their signature is made with."""

    name = models.CharField(_("name"), max_length=100)
    target_url = models.CharField(_("target URL"), max_length=500, validators=[validate_target_url])
    events = models.JSONField(
        _("events"),
        default=list,
        help_text=_('Event names, "lead.*" for every event of leads, or "*" for every event.'),
    )
    # Kept readable: every delivery is signed with it. Shown once, when made.
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name

    def wants(self, event_name: str) -> bool:
        """Whether an event of this name is delivered to this subscription."""
        return any(matches(pattern, event_name) for pattern in self.events or ())


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Gave up")


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscription, with the outcome of its last try."""

    # The id receivers see in the body and in X-Guanxi-Delivery, to drop duplicates.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("webhook"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    last_response = models.TextField(_("response"), blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self",
        verbose_name=_("redelivery of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="redeliveries",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["subscription", "-created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"

    @property
    def payload_pretty(self) -> str:
        return json.dumps(self.payload, indent=2, ensure_ascii=False, sort_keys=True)

    @property
    def is_finished(self) -> bool:
        return self.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.GAVE_UP)
