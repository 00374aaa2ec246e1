from django.urls import path

from . import views

app_name = "sales"
urlpatterns = [
    path("opportunities/", views.OpportunityListView.as_view(), name="opportunity-list"),
    path("opportunities/new/", views.OpportunityEditView.as_view(), name="opportunity-create"),
    path(
        "opportunities/<int:pk>/", views.OpportunityDetailView.as_view(), name="opportunity-detail"
    ),
    path(
        "opportunities/<int:pk>/edit/", views.OpportunityEditView.as_view(), name="opportunity-edit"
    ),
    path(
        "opportunities/<int:pk>/delete/",
        views.OpportunityDeleteView.as_view(),
        name="opportunity-delete",
    ),
    path(
        "opportunities/<int:pk>/move/", views.OpportunityMoveView.as_view(), name="opportunity-move"
    ),
    path(
        "opportunities/<int:pk>/decision-makers/",
        views.DecisionMakersView.as_view(),
        name="decision-makers",
    ),
    path(
        "opportunities/<int:pk>/objections/",
        views.ObjectionAddView.as_view(),
        name="objection-add",
    ),
    path(
        "opportunities/<int:pk>/timeline/",
        views.OpportunityTimelineView.as_view(),
        name="opportunity-timeline",
    ),
    path("objections/<int:pk>/", views.ObjectionUpdateView.as_view(), name="objection-update"),
    path("board/", views.BoardView.as_view(), name="board"),
    path("board/column/", views.BoardColumnView.as_view(), name="board-column"),
    path("board/move/<int:pk>/", views.BoardMoveView.as_view(), name="board-move"),
    path("forecast/", views.ForecastView.as_view(), name="forecast"),
    path("velocity/", views.VelocityView.as_view(), name="velocity"),
    path("reports/objections/", views.ObjectionReportView.as_view(), name="objection-report"),
    path("pipelines/", views.PipelineListView.as_view(), name="pipeline-list"),
    path("pipelines/new/", views.PipelineEditView.as_view(), name="pipeline-create"),
    path("pipelines/<int:pk>/", views.PipelineEditView.as_view(), name="pipeline-edit"),
    path("pipelines/<int:pk>/delete/", views.PipelineDeleteView.as_view(), name="pipeline-delete"),
    path("pool/", views.PoolView.as_view(), name="pool"),
    path("pool/rules/", views.PoolRulesView.as_view(), name="pool-rules"),
    path("pool/caps/", views.PoolCapsView.as_view(), name="pool-caps"),
    path("pool/<int:pk>/claim/", views.PoolClaimView.as_view(), name="pool-claim"),
    path("pool/<int:pk>/assign/", views.PoolAssignView.as_view(), name="pool-assign"),
    path("pool/<int:pk>/return/", views.PoolReturnView.as_view(), name="pool-return"),
]
