"""Webhook subscriptions and deliveries as the API shows and takes them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.core.api.fields import ETagField, UserSummarySerializer

from ..models import WebhookDelivery, WebhookSubscription


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    """A subscription; its secret is only in the answer that creates or rotates it."""

    etag = ETagField()
    events = serializers.ListField(
        child=serializers.CharField(max_length=100),
        allow_empty=False,
        help_text=_('Event names ("lead.converted"), "lead.*" for every event of leads, or "*".'),
    )
    created_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "etag",
            "version",
            "name",
            "target_url",
            "events",
            "is_active",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "etag", "version", "created_by", "created_at", "updated_at"]


class WebhookSecretSerializer(WebhookSubscriptionSerializer):
    """A subscription with its signing secret: shown once, when it is made or rotated."""

    secret = serializers.CharField(
        read_only=True,
        help_text=_("Signs every delivery (X-Guanxi-Signature); keep it; it is not shown again."),
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event sent to one subscription, with the outcome of its last attempt."""

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_response",
            "last_error",
            "created_at",
            "delivered_at",
            "duration_ms",
            "redelivery_of",
            "payload",
        ]
        read_only_fields = fields
