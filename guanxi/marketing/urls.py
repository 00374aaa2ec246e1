from django.urls import path

from . import views

app_name = "marketing"
urlpatterns = [
    path("campaigns/", views.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/new/", views.CampaignEditView.as_view(), name="campaign-create"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", views.CampaignEditView.as_view(), name="campaign-edit"),
    path("campaigns/<int:pk>/delete/", views.CampaignDeleteView.as_view(), name="campaign-delete"),
]
