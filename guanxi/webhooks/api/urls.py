"""The API routes of webhooks, registered on the one v1 router (imported by api_urls.py)."""

from guanxi.core.api.router import register

from .views import WebhookDeliveryViewSet, WebhookViewSet

register("webhooks", WebhookViewSet, "webhook")
register("webhook-deliveries", WebhookDeliveryViewSet, "webhook-delivery")

urlpatterns: list = []
