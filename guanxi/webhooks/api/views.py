"""Webhooks under /api/v1/ (administrators only; 403 for anyone else).

``/webhooks/`` are the subscriptions, versioned (ETag/If-Match), with actions to send a test
``ping``, rotate the secret and read the delivery log; ``/webhook-deliveries/`` is the log of
every delivery, with ``redeliver``.
"""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api.etags import set_etag
from guanxi.core.api.viewsets import VersionedViewSet

from .. import services
from ..models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from .serializers import (
    WebhookDeliverySerializer,
    WebhookSecretSerializer,
    WebhookSubscriptionSerializer,
)


class IsWebhookAdmin(permissions.BasePermission):
    """Webhooks see every event of the organisation: administrators only."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return services.can_manage(request.user)


class DeliveryFilterSet(django_filters.FilterSet):
    subscription = django_filters.NumberFilter()
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event = django_filters.CharFilter()

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event"]


class WebhookViewSet(VersionedViewSet):
    """Subscriptions of URLs to domain events. Creating one (or rotating its secret) answers
    with the signing ``secret``, which is never shown again."""

    permission_classes = [IsWebhookAdmin]
    serializer_class = WebhookSubscriptionSerializer
    queryset = WebhookSubscription.objects.select_related("created_by").order_by("name", "pk")
    ordering_fields = ("name", "created_at", "id")
    filterset_fields = ("is_active",)

    def perform_service_create(self, data: dict[str, Any]) -> Any:
        return services.create_subscription(self.request.user, data)

    def perform_service_update(self, obj: Any, data: dict[str, Any], version: int) -> Any:
        return services.update_subscription(self.request.user, obj, data, expected_version=version)

    def perform_service_delete(self, obj: Any, version: int) -> None:
        services.delete_subscription(self.request.user, obj, expected_version=version)

    @extend_schema(responses={201: WebhookSecretSerializer})
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.reload(self.perform_service_create(self.writable(serializer.validated_data)))
        response = Response(WebhookSecretSerializer(obj).data, status=status.HTTP_201_CREATED)
        return set_etag(response, obj)

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer},
        summary="Send a test ping to the webhook",
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Any, pk: Any = None) -> Response:
        row = services.send_test(request.user, self.get_object())
        row.refresh_from_db()
        return Response(WebhookDeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses=WebhookSecretSerializer,
        summary="Give the webhook a new signing secret (shown once)",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Any, pk: Any = None) -> Response:
        obj = services.regenerate_secret(request.user, self.get_object())
        obj = self.reload(obj)
        return set_etag(Response(WebhookSecretSerializer(obj).data), obj)

    @extend_schema(
        responses=WebhookDeliverySerializer(many=True),
        parameters=[
            OpenApiParameter("status", str, enum=DeliveryStatus.values),
            OpenApiParameter("event", str),
        ],
        summary="The webhook's delivery log, newest first",
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Any, pk: Any = None) -> Response:
        subscription = self.get_object()
        queryset = services.deliveries_for(request.user, subscription)
        queryset = DeliveryFilterSet(request.query_params, queryset=queryset).qs
        page = self.paginate_queryset(queryset)
        data = WebhookDeliverySerializer(page, many=True).data
        return self.get_paginated_response(data)


class WebhookDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every delivery of every webhook, newest first; ``redeliver`` sends one again."""

    permission_classes = [IsWebhookAdmin]
    serializer_class = WebhookDeliverySerializer
    queryset = WebhookDelivery.objects.order_by("-created_at")
    filterset_class = DeliveryFilterSet
    ordering_fields = ("created_at", "next_attempt_at")
    lookup_value_regex = r"[0-9a-fA-F-]{32,36}"

    @extend_schema(
        request=None,
        responses={201: WebhookDeliverySerializer},
        summary="Send this delivery's event again (as a new delivery)",
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Any, pk: Any = None) -> Response:
        row = services.redeliver(request.user, self.get_object())
        row.refresh_from_db()
        return Response(WebhookDeliverySerializer(row).data, status=status.HTTP_201_CREATED)
