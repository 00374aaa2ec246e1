from django.urls import path

from . import settings_views, views

app_name = "leads"
urlpatterns = [
    path("", views.LeadListView.as_view(), name="lead-list"),
    path("new/", views.LeadEditView.as_view(), name="lead-create"),
    path("scoring-model/", views.LeadScoringModelView.as_view(), name="scoring-model"),
    path("<int:pk>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path("<int:pk>/edit/", views.LeadEditView.as_view(), name="lead-edit"),
    path("<int:pk>/delete/", views.LeadDeleteView.as_view(), name="lead-delete"),
    path("<int:pk>/convert/", views.LeadConvertView.as_view(), name="lead-convert"),
    path("<int:pk>/contacted/", views.LeadContactedView.as_view(), name="lead-contacted"),
    path("<int:pk>/disqualify/", views.LeadDisqualifyView.as_view(), name="lead-disqualify"),
    path("<int:pk>/reassign/", views.LeadReassignView.as_view(), name="lead-reassign"),
    path("<int:pk>/behaviours/", views.LeadBehaviourView.as_view(), name="lead-behaviour"),
    path("<int:pk>/timeline/", views.LeadTimelineView.as_view(), name="lead-timeline"),
    # administration
    path("settings/scoring/", settings_views.scoring, name="scoring"),
    path(
        "settings/scoring/new/",
        settings_views.scoring_rule_edit,
        name="scoring-rule-create",
    ),
    path(
        "settings/scoring/<int:pk>/",
        settings_views.scoring_rule_edit,
        name="scoring-rule-edit",
    ),
    path(
        "settings/scoring/<int:pk>/delete/",
        settings_views.scoring_rule_delete,
        name="scoring-rule-delete",
    ),
    path("settings/assignment/", settings_views.assignment, name="assignment"),
    path(
        "settings/assignment/new/",
        settings_views.assignment_rule_edit,
        name="assignment-rule-create",
    ),
    path(
        "settings/assignment/<int:pk>/",
        settings_views.assignment_rule_edit,
        name="assignment-rule-edit",
    ),
    path(
        "settings/assignment/<int:pk>/delete/",
        settings_views.assignment_rule_delete,
        name="assignment-rule-delete",
    ),
    path(
        "settings/assignment/<int:pk>/move/",
        settings_views.assignment_rule_move,
        name="assignment-rule-move",
    ),
    path("settings/availability/", settings_views.availability, name="availability"),
    path(
        "settings/availability/<int:user_pk>/",
        settings_views.availability_edit,
        name="availability-edit",
    ),
    path("settings/web-forms/", settings_views.web_forms, name="web-forms"),
    path("settings/web-forms/new/", settings_views.web_form_edit, name="web-form-create"),
    path("settings/web-forms/<int:pk>/", settings_views.web_form_edit, name="web-form-edit"),
    path(
        "settings/web-forms/<int:pk>/delete/",
        settings_views.web_form_delete,
        name="web-form-delete",
    ),
]
