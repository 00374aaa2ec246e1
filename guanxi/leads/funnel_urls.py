"""The lead funnel report and the predictive score's training, mounted at ``/funnel/``."""

from django.urls import path

from . import funnel_views

app_name = "funnel"
urlpatterns = [
    path("", funnel_views.FunnelView.as_view(), name="report"),
    path("predictive/train/", funnel_views.TrainModelView.as_view(), name="train"),
]
