from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="account-list"),
    path("accounts/new/", views.AccountEditView.as_view(), name="account-create"),
    path("accounts/merge/", views.AccountMergeView.as_view(), name="account-merge"),
    path(
        "accounts/autocomplete/",
        views.AccountAutocompleteView.as_view(),
        name="account-autocomplete",
    ),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account-detail"),
    path("accounts/<int:pk>/edit/", views.AccountEditView.as_view(), name="account-edit"),
    path("accounts/<int:pk>/delete/", views.AccountDeleteView.as_view(), name="account-delete"),
    path("accounts/<int:pk>/move/", views.AccountMoveView.as_view(), name="account-move"),
    path(
        "accounts/<int:pk>/timeline/",
        views.AccountTimelineView.as_view(),
        name="account-timeline",
    ),
    path(
        "accounts/<int:pk>/duplicates/",
        views.AccountDuplicatesView.as_view(),
        name="account-duplicates",
    ),
    path("contacts/", views.ContactListView.as_view(), name="contact-list"),
    path("contacts/new/", views.ContactEditView.as_view(), name="contact-create"),
    path("contacts/<int:pk>/", views.ContactDetailView.as_view(), name="contact-detail"),
    path("contacts/<int:pk>/edit/", views.ContactEditView.as_view(), name="contact-edit"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact-delete"),
    path(
        "contacts/<int:pk>/consent/",
        views.ContactConsentView.as_view(),
        name="contact-consent",
    ),
    path(
        "contacts/<int:pk>/timeline/",
        views.ContactTimelineView.as_view(),
        name="contact-timeline",
    ),
    path("reports/flow/", views.FlowReportView.as_view(), name="flow-report"),
]
