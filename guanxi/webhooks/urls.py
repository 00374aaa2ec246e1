"""Webhook pages, mounted at /admin/webhooks/ (namespace ``webhooks``)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("new/", views.webhook_create, name="create"),
    path("<int:pk>/", views.webhook_edit, name="edit"),
    path("<int:pk>/delete/", views.webhook_delete, name="delete"),
    path("<int:pk>/secret/", views.webhook_rotate_secret, name="rotate-secret"),
    path("<int:pk>/test/", views.webhook_test, name="test"),
    path("<int:pk>/deliveries/", views.delivery_log, name="deliveries"),
    path("deliveries/<uuid:pk>/redeliver/", views.delivery_redeliver, name="redeliver"),
]
