"""Registers the activities endpoints on the one v1 router (imported by guanxi/api_urls.py)."""

from guanxi.core.api.router import register

from . import views

register("activities", views.ActivityViewSet, "activity")
register("call-lists", views.CallListViewSet, "call-list")
register("call-outcomes", views.CallOutcomeViewSet, "call-outcome")
register("notifications", views.NotificationViewSet, "notification")
