"""Sales pages: opportunities (list, detail, forms), the kanban board, the forecast, sales
velocity, the objections report, pipeline settings and the customer pool.

Thin views: reads through ``visible_to`` / ``editable_by`` and the selectors, writes through
the sales services and the pool services.
"""

from __future__ import annotations

import csv
import datetime as dt
from html import escape
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from guanxi.core import services as core
from guanxi.core.errors import StaleVersion
from guanxi.core.generic import (
    HISTORY_TAB,
    SHARING_TAB,
    BulkAction,
    BulkResult,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    RecordServices,
    Tab,
    assignable_owners,
    can_assign_others,
    safe_next,
)
from guanxi.core.models import Action, Note, Role, Team, User
from guanxi.core.templatetags.guanxi import money_formatter
from guanxi.customers import pool
from guanxi.customers import services as customer_services
from guanxi.customers.models import Account, Contact, PoolRule, RelationshipClass
from guanxi.customers.views import TimelineAddView, TimelineTabMixin, _field_rows

from . import selectors, services
from .filters import OpportunityFilterSet, PoolFilterSet
from .forms import (
    BoardFilterForm,
    DecisionMakersForm,
    ForecastForm,
    MoveStageForm,
    ObjectionForm,
    ObjectionUpdateForm,
    OpportunityForm,
    PeriodForm,
    PipelineForm,
    PoolAssignForm,
    PoolCapFormSet,
    PoolRuleFormSet,
    ReturnToPoolForm,
    StageFormSet,
    VelocityForm,
)
from .models import (
    ForecastCategory,
    Objection,
    ObjectionType,
    Opportunity,
    OpportunityContact,
    Pipeline,
    Stage,
    StageHistory,
    StageKind,
)
from .tables import OpportunityTable, PoolTable

OPPORTUNITY_SERVICES = RecordServices(
    model=Opportunity,
    create=services.create_opportunity,
    update=services.update_opportunity,
    delete=services.delete_opportunity,
)
ACCOUNT_SERVICES = RecordServices(
    model=Account,
    create=customer_services.create_account,
    update=customer_services.update_account,
    delete=customer_services.delete_account,
)
CARDS_PER_COLUMN = 20


# --------------------------------------------------------------------------------------------
# opportunities: list, detail, forms
# --------------------------------------------------------------------------------------------


class OpportunityListView(ObjectListView):
    services = OPPORTUNITY_SERVICES
    filterset_class = OpportunityFilterSet
    table_class = OpportunityTable
    template_name = "sales/opportunity_list.html"
    title = gettext_lazy("Opportunities")
    create_url_name = "sales:opportunity-create"
    primary_filters = (
        "pipeline",
        "stage",
        "status",
        "owner",
        "team",
        "forecast_category",
        "amount_min",
        "amount_max",
        "close_after",
        "close_before",
    )

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        raw = self.request.GET.get("account", "")
        account = None
        if raw.isdigit():
            account = Account.objects.visible_to(self.request.user).filter(pk=raw).first()
        context["account_filter"] = account
        if account is not None and context.get("create_url"):
            context["create_url"] = f"{context['create_url']}?account={account.pk}"
        return context


def _days_between(start: dt.datetime, end: dt.datetime | None) -> float:
    end = end or timezone.now()
    return round((end - start).total_seconds() / 86400, 1)


class OpportunityDetailView(TimelineTabMixin, ObjectDetailView):
    services = OPPORTUNITY_SERVICES
    template_name = "sales/opportunity_detail.html"
    tabs = (
        Tab("overview", gettext_lazy("Overview"), "sales/tabs/overview.html"),
        Tab("decision_makers", gettext_lazy("Decision makers"), "sales/tabs/decision_makers.html"),
        Tab("objections", gettext_lazy("Objections"), "sales/tabs/objections.html"),
        Tab("stages", gettext_lazy("Stage history"), "sales/tabs/stages.html"),
        Tab("timeline", gettext_lazy("Timeline"), "customers/tabs/timeline.html"),
        HISTORY_TAB,
        SHARING_TAB,
    )
    select_related = ("owner", "team", "account", "pipeline", "stage", "created_by", "updated_by")
    prefetch_related = ("tags",)
    edit_url_name = "sales:opportunity-edit"
    delete_url_name = "sales:opportunity-delete"
    list_url_name = "sales:opportunity-list"

    overview_fields = [
        "account",
        "pipeline",
        "expected_close_date",
        "forecast_category",
        "owner",
        "team",
    ]

    def get_extra_context(self, obj: Opportunity) -> dict[str, Any]:
        return {
            "board_url": f"{reverse('sales:board')}?pipeline={obj.pipeline_id}",
            "stages": list(obj.pipeline.stages.order_by("order")),
        }

    def tab_overview_context(
        self, obj: Opportunity, form: MoveStageForm | None = None
    ) -> dict[str, Any]:
        makers = list(
            OpportunityContact.objects.filter(opportunity=obj)
            .filter(contact__in=Contact.objects.visible_to(self.request.user).values("pk"))
            .select_related("contact")
            .order_by("contact__name")
        )
        competitors = [
            c.strip() for c in obj.competitors.replace("，", ",").split(",") if c.strip()
        ]
        return {
            "fields": _field_rows(obj, self.overview_fields),
            "move_form": (form or MoveStageForm(opportunity=obj)) if self.can_edit(obj) else None,
            "move_url": reverse("sales:opportunity-move", args=[obj.pk]),
            "lost_stage_ids": [s.pk for s in obj.pipeline.stages.all() if s.kind == StageKind.LOST],
            "makers": makers,
            "competitor_list": competitors,
            "days_in_stage": _days_between(obj.stage_entered_at, None),
            "open_objections": Objection.objects.filter(opportunity=obj, resolved=False).count(),
        }

    def tab_decision_makers_context(
        self, obj: Opportunity, form: DecisionMakersForm | None = None
    ) -> dict[str, Any]:
        user = self.request.user
        contacts = list(
            Contact.objects.visible_to(user)
            .filter(account_id=obj.account_id)
            .order_by("name", "pk")[:200]
        )
        current = dict(
            OpportunityContact.objects.filter(opportunity=obj).values_list("contact_id", "role")
        )
        if form is None:
            form = DecisionMakersForm(opportunity=obj, contacts=contacts, current=current)
        return {
            "makers_form": form,
            "makers_url": reverse("sales:decision-makers", args=[obj.pk]),
            "add_contact_url": f"{reverse('customers:contact-create')}?account={obj.account_id}"
            if user.has_action("contact", Action.CREATE)
            else None,
        }

    def tab_objections_context(
        self, obj: Opportunity, form: ObjectionForm | None = None
    ) -> dict[str, Any]:
        objections = list(
            Objection.objects.visible_to(self.request.user)
            .filter(opportunity=obj)
            .select_related("owner")
            .order_by("-raised_at", "-id")
        )
        can_log = self.can_edit(obj) and self.request.user.has_action("opportunity", Action.EDIT)
        rows = [
            (
                objection,
                ObjectionUpdateForm(
                    initial={
                        "handling": objection.handling,
                        "resolved": objection.resolved,
                        "version": objection.version,
                    },
                    prefix=f"objection-{objection.pk}",
                )
                if can_log
                else None,
            )
            for objection in objections
        ]
        return {
            "objection_rows": rows,
            "objection_form": (form or ObjectionForm()) if can_log else None,
            "objection_url": reverse("sales:objection-add", args=[obj.pk]),
        }

    def tab_stages_context(self, obj: Opportunity) -> dict[str, Any]:
        history = list(
            StageHistory.objects.filter(opportunity=obj)
            .select_related("stage", "actor")
            .order_by("entered_at", "pk")
        )
        totals: dict[int, float] = {}
        for entry in history:
            totals[entry.stage_id] = totals.get(entry.stage_id, 0) + entry.days
        stages = list(obj.pipeline.stages.order_by("order"))
        return {
            "history": history,
            "stage_days": [(s, round(totals[s.pk], 1)) for s in stages if s.pk in totals],
            "total_days": _days_between(obj.created_at, obj.closed_at),
        }

    def timeline_queryset(self, obj: Opportunity) -> Any:
        return (
            Note.objects.visible_to(self.request.user)
            .filter(content_type=ContentType.objects.get_for_model(Opportunity), object_id=obj.pk)
            .select_related("created_by", "content_type")
            .order_by("-occurred_at", "-id")
        )

    def timeline_url(self, obj: Opportunity) -> str:
        return reverse("sales:opportunity-timeline", args=[obj.pk])


class OpportunityTimelineView(TimelineAddView):
    detail_view = OpportunityDetailView  # type: ignore[assignment]


class OpportunityEditView(ObjectEditView):
    services = OPPORTUNITY_SERVICES
    form_class = OpportunityForm
    list_url_name = "sales:opportunity-list"

    def get_initial(self) -> dict[str, Any]:
        raw = self.request.GET.get("account", "")
        if raw.isdigit():
            account = Account.objects.visible_to(self.request.user).filter(pk=raw).first()
            if account is not None:
                return {"account": account.pk, "name": account.name}
        return {}


class OpportunityDeleteView(ObjectDeleteView):
    services = OPPORTUNITY_SERVICES
    list_url_name = "sales:opportunity-list"

    def related_summary(self, obj: Opportunity) -> list[tuple[Any, int]]:
        return [(_("objections"), Objection.objects.filter(opportunity=obj).count())]


def _detail_with(request: HttpRequest, pk: int, tab_name: str, **tab_kwargs: Any) -> HttpResponse:
    """The detail page on ``tab_name`` with a bound form and its errors (a failed POST)."""
    detail = OpportunityDetailView()
    detail.setup(request, pk=pk)
    obj = detail.get_object(pk)
    tab = next(t for t in detail.tabs if t.name == tab_name)
    context = detail.get_context_data(obj, tab, detail.visible_tabs(obj))
    context.update(getattr(detail, f"tab_{tab_name}_context")(obj, **tab_kwargs))
    return render(request, detail.template_name, context)


class OpportunityMoveView(LoginRequiredMixin, View):
    """The stage control of the detail page: move to any stage of the pipeline."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        opportunity = core.get_visible(request.user, Opportunity, pk)
        core.require_editable(request.user, opportunity)
        form = MoveStageForm(request.POST, opportunity=opportunity)
        target = f"{opportunity.get_absolute_url()}?tab=overview"
        if not form.is_valid():
            return _detail_with(request, pk, "overview", form=form)
        stage = form.cleaned_data["stage"]
        try:
            services.move_stage(
                request.user,
                opportunity,
                stage,
                expected_version=form.cleaned_data["version"],
                loss_reason=form.cleaned_data["loss_reason"],
            )
        except StaleVersion:
            messages.error(
                request,
                _("Someone else changed this opportunity meanwhile; look at it again and retry."),
            )
            return HttpResponseRedirect(target)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
            return _detail_with(request, pk, "overview", form=form)
        messages.success(request, _("Moved to %(stage)s.") % {"stage": stage})
        return HttpResponseRedirect(target)


class DecisionMakersView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        opportunity = core.get_visible(request.user, Opportunity, pk)
        core.require_editable(request.user, opportunity)
        contacts = list(
            Contact.objects.visible_to(request.user)
            .filter(account_id=opportunity.account_id)
            .order_by("name", "pk")[:200]
        )
        current = dict(
            OpportunityContact.objects.filter(opportunity=opportunity).values_list(
                "contact_id", "role"
            )
        )
        form = DecisionMakersForm(
            request.POST, opportunity=opportunity, contacts=contacts, current=current
        )
        if form.is_valid():
            try:
                services.set_decision_makers(
                    request.user,
                    opportunity,
                    form.makers(),
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersion:
                messages.error(
                    request,
                    _("Someone else changed this opportunity meanwhile; look again and retry."),
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
                return _detail_with(request, pk, "decision_makers", form=form)
            else:
                messages.success(request, _("Decision makers saved."))
            return HttpResponseRedirect(f"{opportunity.get_absolute_url()}?tab=decision_makers")
        return _detail_with(request, pk, "decision_makers", form=form)


class ObjectionAddView(LoginRequiredMixin, View):
    """Log an objection on the opportunity."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        opportunity = core.get_visible(request.user, Opportunity, pk)
        form = ObjectionForm(request.POST)
        if form.is_valid():
            try:
                services.log_objection(request.user, opportunity, form.cleaned_data)
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                messages.success(request, _("Objection logged."))
                return HttpResponseRedirect(f"{opportunity.get_absolute_url()}?tab=objections")
        return _detail_with(request, pk, "objections", form=form)


class ObjectionUpdateView(LoginRequiredMixin, View):
    """Record how an objection was handled and whether it is resolved."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        objection = core.get_visible(request.user, Objection, pk)
        opportunity = objection.opportunity
        form = ObjectionUpdateForm(request.POST, prefix=f"objection-{objection.pk}")
        target = f"{opportunity.get_absolute_url()}?tab=objections"
        if not form.is_valid():
            messages.error(request, _("Check the objection's form."))
            return HttpResponseRedirect(target)
        try:
            services.update_objection(
                request.user,
                objection,
                {
                    "handling": form.cleaned_data["handling"],
                    "resolved": form.cleaned_data["resolved"],
                },
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersion:
            messages.error(
                request, _("Someone else changed this objection meanwhile; look again and retry.")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Objection saved."))
        return HttpResponseRedirect(target)


# --------------------------------------------------------------------------------------------
# the kanban board
# --------------------------------------------------------------------------------------------


def _board_pipeline(request: HttpRequest, data: Any) -> Pipeline:
    raw = data.get("pipeline", "")
    pipeline = None
    if str(raw).isdigit():
        pipeline = Pipeline.objects.filter(pk=raw).first()
    pipeline = pipeline or Pipeline.default()
    if pipeline is None:
        raise Http404(_("There is no pipeline yet."))
    return pipeline


def _board_queryset(request: HttpRequest, data: Any) -> tuple[Any, BoardFilterForm]:
    form = BoardFilterForm(data)
    queryset = form.filter(Opportunity.objects.visible_to(request.user))
    return queryset, form


def _editable_ids(user: Any, cards: list[Opportunity]) -> set[int]:
    if not cards or not user.has_action("opportunity", Action.EDIT):
        return set()
    return set(
        Opportunity.objects.editable_by(user)
        .filter(pk__in=[c.pk for c in cards])
        .values_list("pk", flat=True)
    )


def _board_query(form: BoardFilterForm, pipeline: Pipeline) -> str:
    """The board's filters as a query string (to keep them on "load more" and after a move)."""
    from urllib.parse import urlencode

    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    params = {"pipeline": pipeline.pk}
    for name in ("owner", "team"):
        if data.get(name):
            params[name] = data[name].pk
    if data.get("close"):
        params["close"] = data["close"]
    return urlencode(params)


class BoardView(LoginRequiredMixin, View):
    """The kanban board of a pipeline: a column per stage with its count and sums."""

    template_name = "sales/board.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        pipeline = _board_pipeline(request, request.GET)
        data = request.GET.copy()
        data.setdefault("pipeline", str(pipeline.pk))
        queryset, form = _board_queryset(request, data)
        columns = selectors.kanban(
            request.user, pipeline, queryset=queryset, per_stage=CARDS_PER_COLUMN
        )
        editable = _editable_ids(request.user, [c for col in columns for c in col.cards])
        query = _board_query(form, pipeline)
        return render(
            request,
            self.template_name,
            {
                "pipeline": pipeline,
                "pipelines": list(Pipeline.objects.filter(is_active=True)),
                "columns": columns,
                "stages": [c.stage for c in columns],
                "editable": editable,
                "filter_form": form,
                "board_query": query,
                "move_url": reverse("sales:board-move", args=[0]).replace("/0/", "/{id}/"),
                "column_url": reverse("sales:board-column"),
                "create_url": reverse("sales:opportunity-create")
                if request.user.has_action("opportunity", Action.CREATE)
                else None,
                "per_column": CARDS_PER_COLUMN,
                "board_texts": {
                    "failed": _("The move was not saved."),
                    "network": _("The server could not be reached; the move was not saved."),
                    "cancelled": _("Not moved: a lost deal needs a reason."),
                },
            },
        )


class BoardColumnView(LoginRequiredMixin, View):
    """More cards of one column ("load more")."""

    def get(self, request: HttpRequest) -> HttpResponse:
        pipeline = _board_pipeline(request, request.GET)
        stage = get_object_or_404(Stage, pk=request.GET.get("stage") or 0, pipeline=pipeline)
        try:
            offset = max(0, int(request.GET.get("offset", 0)))
        except ValueError:
            offset = 0
        queryset, form = _board_queryset(request, request.GET)
        queryset = queryset.filter(pipeline=pipeline)
        cards = selectors.kanban_cards(queryset, stage, offset, CARDS_PER_COLUMN + 1)
        has_more = len(cards) > CARDS_PER_COLUMN
        cards = cards[:CARDS_PER_COLUMN]
        return render(
            request,
            "sales/includes/board_cards.html",
            {
                "cards": cards,
                "stage": stage,
                "stages": list(pipeline.stages.order_by("order")),
                "editable": _editable_ids(request.user, cards),
                "next_offset": offset + len(cards) if has_more else None,
                "board_query": _board_query(form, pipeline),
                "column_url": reverse("sales:board-column"),
            },
        )


def _card_html(request: HttpRequest, opportunity: Opportunity, editable: bool) -> str:
    return render_to_string(
        "sales/includes/board_card.html",
        {
            "card": opportunity,
            "editable": {opportunity.pk} if editable else set(),
            "stages": list(opportunity.pipeline.stages.order_by("order")),
        },
        request=request,
    )


def _column_heads(request: HttpRequest, pipeline: Pipeline, queryset: Any) -> dict[str, Any]:
    summary = selectors.stage_totals(queryset.filter(pipeline=pipeline))
    heads = {}
    for stage in pipeline.stages.all():
        count, totals = summary.get(stage.pk, (0, {}))
        heads[str(stage.pk)] = {
            "count": count,
            "totals": render_to_string(
                "sales/includes/board_totals.html", {"totals": totals}, request=request
            ),
        }
    return heads


class BoardMoveView(LoginRequiredMixin, View):
    """A card dropped on another column: the move goes through ``move_stage`` with the card's
    version; answers JSON for the board's script.

    200: moved (the new card and the columns' counts and sums); 409: someone else changed the
    deal meanwhile (nothing written; the card as it is now, to put back); 400: bad input
    (``errors`` name the fields: a lost deal needs ``loss_reason``); 403/404 as everywhere.
    """

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = request.user
        opportunity = core.get_visible(user, Opportunity, pk)
        if not opportunity.can_edit(user):
            return JsonResponse(
                {"error": _("You may see this opportunity but not change it.")}, status=403
            )
        raw_stage = request.POST.get("stage", "")
        raw_version = request.POST.get("version", "")
        errors: dict[str, list[str]] = {}
        stage = None
        if raw_stage.isdigit():
            stage = Stage.objects.filter(pk=raw_stage, pipeline_id=opportunity.pipeline_id).first()
        if stage is None:
            errors["stage"] = [_("Choose a stage of this pipeline.")]
        if not raw_version.isdigit():
            errors["version"] = [_("The card's version is missing; reload the board.")]
        if errors:
            return JsonResponse(
                {"error": _("The move was not saved."), "errors": errors}, status=400
            )
        queryset, _form = _board_queryset(request, request.POST)
        try:
            with transaction.atomic():
                moved = services.move_stage(
                    user,
                    opportunity,
                    stage,
                    expected_version=int(raw_version),
                    loss_reason=request.POST.get("loss_reason", "").strip(),
                )
        except StaleVersion as exc:
            current = Opportunity.objects.select_related("account", "owner").get(pk=exc.current.pk)
            return JsonResponse(
                {
                    "error": _(
                        "Someone else changed “%(name)s” meanwhile (it is now in %(stage)s). "
                        "Nothing was overwritten; the card shows the current state."
                    )
                    % {"name": current.name, "stage": current.stage},
                    "stale": True,
                    "stage": current.stage_id,
                    "card": _card_html(request, current, True),
                    "columns": _column_heads(request, opportunity.pipeline, queryset),
                },
                status=409,
            )
        except ValidationError as exc:
            return JsonResponse(
                {"error": " ".join(exc.messages), "errors": exc.message_dict}, status=400
            )
        moved = Opportunity.objects.select_related("account", "owner").get(pk=moved.pk)
        return JsonResponse(
            {
                "ok": True,
                "stage": moved.stage_id,
                "version": moved.version,
                "card": _card_html(request, moved, True),
                "columns": _column_heads(request, opportunity.pipeline, queryset),
                "message": _("Moved “%(name)s” to %(stage)s.")
                % {"name": moved.name, "stage": moved.stage},
            }
        )


# --------------------------------------------------------------------------------------------
# forecast, velocity, objections report
# --------------------------------------------------------------------------------------------


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _bound(form_class: type, request: HttpRequest, default: dict[str, Any]) -> Any:
    """A report's filter form, bound to the query (with defaults for what is missing)."""
    data = request.GET.copy()
    for key, value in default.items():
        if not data.get(key):
            data[key] = value.isoformat() if isinstance(value, dt.date) else value
    form = form_class(data)
    return form


CATEGORY_LABELS = dict(ForecastCategory.choices)


class ForecastView(LoginRequiredMixin, View):
    """Expected closes per month or quarter, per rep or team and currency, by forecast category
    with the probability-weighted amount; totals per currency; CSV with ``?format=csv``."""

    template_name = "sales/forecast.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        start = _quarter_start(today)
        end = dt.date(start.year + (start.month + 5) // 12, (start.month + 5) % 12 + 1, 1)
        default = {
            "start": start,
            "end": end - dt.timedelta(days=1),
            "period": "month",
            "group_by": "owner",
        }
        form = _bound(ForecastForm, request, default)
        if form.is_valid():
            data = form.cleaned_data
        else:
            data = {**default, "pipeline": None, "team": None, "owner": None}
        queryset = Opportunity.objects.visible_to(request.user)
        if data.get("pipeline"):
            queryset = queryset.filter(pipeline=data["pipeline"])
        if data.get("team"):
            queryset = queryset.filter(team__path__startswith=data["team"].path)
        if data.get("owner"):
            queryset = queryset.filter(owner=data["owner"])
        period = data.get("period") or "month"
        group_by = data.get("group_by") or "owner"
        rows = selectors.forecast(
            request.user,
            start=data["start"],
            end=data["end"],
            period=period,
            group_by=group_by,
            queryset=queryset,
        )
        lines, totals = selectors.forecast_table(rows)
        ids = {line.group_id for line in lines if line.group_id}
        model = Team if group_by == "team" else User
        names = {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}
        unassigned = _("No team") if group_by == "team" else _("No owner")
        categories = [
            c
            for c in selectors.FORECAST_CATEGORIES
            if c != "omitted" or any(t.amounts.get("omitted") for t in totals.values())
        ]
        table = [
            {
                "line": line,
                "period": self.period_label(line.period, period),
                "group": names.get(line.group_id, unassigned),
                "cells": [line.amounts[c] for c in categories],
            }
            for line in lines
        ]
        if request.GET.get("format") == "csv":
            return self.csv(table, categories, totals, group_by)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "rows": self.rows_html(table),
                "totals": [(t, [t.amounts[c] for c in categories]) for t in totals.values()],
                "categories": [(c, CATEGORY_LABELS[c]) for c in categories],
                "group_label": _("Team") if group_by == "team" else _("Rep"),
                "chart": self.chart(lines, categories, period),
                "csv_url": f"?{self.csv_query(request)}",
                "list_url": reverse("sales:opportunity-list"),
            },
        )

    @staticmethod
    def rows_html(table: list[dict[str, Any]]) -> str:
        """The table's body, built here rather than in the template.

        A director's forecast has about a thousand lines of nine amounts; through template
        loops and the ``money`` filter that alone took 120 ms (docs/performance.md, Pipeline).
        Every text is escaped; the amounts are formatted as ``money`` formats them.
        """
        fmt = money_formatter()
        parts = []
        for row in table:
            line = row["line"]
            currency = line.currency
            cells = "".join(
                f"<td>{escape(fmt(a, currency))}</td>"
                if a
                else f'<td class="text-body-tertiary">{escape(fmt(a, currency))}</td>'
                for a in row["cells"]
            )
            parts.append(
                f'<tr><td class="text-start">{escape(row["period"])}</td>'
                f'<td class="text-start">{escape(row["group"])}</td>'
                f'<td class="text-start">{escape(currency)}</td>{cells}'
                f'<td class="fw-semibold">{escape(fmt(line.amount, currency))}</td>'
                f"<td>{escape(fmt(line.weighted, currency))}</td><td>{line.count}</td></tr>"
            )
        return mark_safe("\n".join(parts))  # noqa: S308 - every value above is escaped

    @staticmethod
    def period_label(day: dt.date, period: str) -> str:
        if period == "quarter":
            return f"{day.year} Q{(day.month - 1) // 3 + 1}"
        return f"{day.year}-{day.month:02d}"

    @staticmethod
    def csv_query(request: HttpRequest) -> str:
        data = request.GET.copy()
        data["format"] = "csv"
        return data.urlencode()

    def chart(self, lines: list[Any], categories: list[str], period: str) -> dict[str, Any]:
        """Per currency, the amount per category per period (ECharts stacked bars)."""
        periods = sorted({line.period for line in lines})
        labels = [self.period_label(p, period) for p in periods]
        currencies: dict[str, dict[str, list[float]]] = {}
        for line in lines:
            series = currencies.setdefault(
                line.currency, {c: [0.0] * len(periods) for c in [*categories, "weighted"]}
            )
            index = periods.index(line.period)
            for c in categories:
                series[c][index] += float(line.amounts[c])
            series["weighted"][index] += float(line.weighted)
        return {
            "periods": labels,
            "currencies": currencies,
            "labels": {c: str(CATEGORY_LABELS[c]) for c in categories}
            | {"weighted": str(_("Weighted"))},
        }

    def csv(
        self,
        table: list[dict[str, Any]],
        categories: list[str],
        totals: dict[str, Any],
        group_by: str,
    ) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="forecast.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 (Chinese names) correctly with a BOM
        writer = csv.writer(response)
        writer.writerow(
            [
                _("Period"),
                _("Team") if group_by == "team" else _("Rep"),
                _("Currency"),
                *[str(CATEGORY_LABELS[c]) for c in categories],
                _("Total"),
                _("Weighted"),
                _("Deals"),
            ]
        )
        for row in table:
            line = row["line"]
            writer.writerow(
                [
                    row["period"],
                    row["group"],
                    line.currency,
                    *[str(a) for a in row["cells"]],
                    str(line.amount),
                    str(line.weighted),
                    line.count,
                ]
            )
        for total in totals.values():
            writer.writerow(
                [
                    _("Total"),
                    "",
                    total.currency,
                    *[str(total.amounts[c]) for c in categories],
                    str(total.amount),
                    str(total.weighted),
                    total.count,
                ]
            )
        return response


class VelocityView(LoginRequiredMixin, View):
    """Sales velocity of a pipeline: days per stage, win rate, deal size, cycle length."""

    template_name = "sales/velocity.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        pipeline = Pipeline.default()
        if pipeline is None:
            raise Http404(_("There is no pipeline yet."))
        default = {
            "start": today - dt.timedelta(days=365),
            "end": today,
            "pipeline": str(pipeline.pk),
        }
        form = _bound(VelocityForm, request, default)
        if form.is_valid():
            data = form.cleaned_data
        else:
            data = {"start": default["start"], "end": today, "pipeline": pipeline}
        summary = selectors.pipeline_summary(
            request.user, data["pipeline"], start=data["start"], end=data["end"]
        )
        chart = {
            "stages": [str(row["stage"]) for row in summary.stages],
            "days": [row["average_days"] or 0 for row in summary.stages],
            "title": str(_("Average days in stage")),
        }
        return render(
            request,
            self.template_name,
            {"form": form, "summary": summary, "pipeline": data["pipeline"], "chart": chart},
        )


class ObjectionReportView(LoginRequiredMixin, View):
    """Objections by type, by rep and by period, with how many were resolved."""

    template_name = "sales/objection_report.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        default = {"start": today - dt.timedelta(days=180), "end": today, "period": "month"}
        form = _bound(PeriodForm, request, default)
        data = form.cleaned_data if form.is_valid() else default
        period = data.get("period") or "month"
        report = selectors.objection_report(
            request.user, start=data["start"], end=data["end"], period=period
        )
        types = dict(ObjectionType.choices)
        owners = {
            u.pk: str(u)
            for u in User.objects.filter(pk__in=[c.key for c in report.by_owner if c.key])
        }
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "report": report,
                "by_type": [(types.get(c.key, c.key), c) for c in report.by_type],
                "by_owner": [(owners.get(c.key, _("No owner")), c) for c in report.by_owner],
                "by_period": [
                    (ForecastView.period_label(c.key, period), c) for c in report.by_period
                ],
                "chart": {
                    "types": [str(types.get(c.key, c.key)) for c in report.by_type],
                    "counts": [c.count for c in report.by_type],
                    "resolved": [c.resolved for c in report.by_type],
                    "labels": {"count": str(_("Raised")), "resolved": str(_("Resolved"))},
                },
            },
        )


# --------------------------------------------------------------------------------------------
# pipelines (administrators)
# --------------------------------------------------------------------------------------------


class PipelineAdminMixin(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not request.user.is_admin_for("opportunity"):
            raise PermissionDenied(_("Only administrators configure pipelines."))
        return super().dispatch(request, *args, **kwargs)


class PipelineListView(PipelineAdminMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        from django.db.models import Count

        pipelines = list(
            Pipeline.objects.prefetch_related("stages").order_by("-is_default", "name")
        )
        counts = dict(
            Opportunity.all_objects.values_list("pipeline").annotate(n=Count("pk")).order_by()
        )
        rows = [(p, counts.get(p.pk, 0)) for p in pipelines]
        return render(request, "sales/pipeline_list.html", {"rows": rows})


class PipelineEditView(PipelineAdminMixin, View):
    template_name = "sales/pipeline_form.html"

    def get_pipeline(self, pk: int | None) -> Pipeline | None:
        return get_object_or_404(Pipeline, pk=pk) if pk is not None else None

    def initial_stages(self, pipeline: Pipeline | None) -> list[dict[str, Any]]:
        if pipeline is None:
            return [
                {"name": str(name), "probability": p, "kind": kind, "ORDER": i + 1}
                for i, (name, p, kind) in enumerate(services.DEFAULT_STAGES)
            ]
        return [
            {
                "id": s.pk,
                "name": s.name,
                "probability": s.probability,
                "kind": s.kind,
                "ORDER": i + 1,
            }
            for i, s in enumerate(pipeline.stages.order_by("order"))
        ]

    def render_form(
        self, pipeline: Pipeline | None, form: PipelineForm, stages: Any, status: int = 200
    ) -> HttpResponse:
        in_use = set()
        if pipeline is not None:
            in_use = {s.pk for s in pipeline.stages.all() if services.stage_in_use(s)}
        return render(
            self.request,
            self.template_name,
            {
                "pipeline": pipeline,
                "form": form,
                "stages": stages,
                "in_use": in_use,
                "creating": pipeline is None,
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        pipeline = self.get_pipeline(pk)
        if pipeline is None:
            form = PipelineForm(initial={"is_active": True})
        else:
            form = PipelineForm(
                initial={
                    "name": pipeline.name,
                    "is_default": pipeline.is_default,
                    "is_active": pipeline.is_active,
                    "version": pipeline.version,
                }
            )
        stages = StageFormSet(initial=self.initial_stages(pipeline), prefix="stages")
        return self.render_form(pipeline, form, stages)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        pipeline = self.get_pipeline(pk)
        form = PipelineForm(request.POST)
        stages = StageFormSet(request.POST, prefix="stages")
        if not (form.is_valid() and stages.is_valid()):
            return self.render_form(pipeline, form, stages)
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if pipeline is None:
                    saved = services.create_pipeline(
                        request.user,
                        data["name"],
                        [(s["name"], s["probability"], s["kind"]) for s in stages.stages()],
                        is_default=data["is_default"],
                    )
                    if not data["is_active"]:
                        services.update_pipeline(
                            request.user, saved, {"is_active": False}, expected_version=None
                        )
                else:
                    saved = services.update_pipeline(
                        request.user,
                        pipeline,
                        {
                            "name": data["name"],
                            "is_default": data["is_default"],
                            "is_active": data["is_active"],
                        },
                        stages.stages(),
                        expected_version=data["version"],
                    )
        except StaleVersion as exc:
            saved_values = {"name": exc.current.name, "version": exc.current.version}
            for flag in ("is_default", "is_active"):
                if getattr(exc.current, flag):
                    saved_values[flag] = "on"
            form = PipelineForm(saved_values)
            form.is_valid()
            stages = StageFormSet(initial=self.initial_stages(exc.current), prefix="stages")
            form.add_error(
                None,
                _(
                    "Someone else saved this pipeline while you were editing it; nothing of "
                    "yours was saved. Here is what is saved now: make your changes again."
                ),
            )
            return self.render_form(exc.current, form, stages, status=409)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
            return self.render_form(pipeline, form, stages)
        messages.success(request, _("Pipeline “%(name)s” saved.") % {"name": saved.name})
        return HttpResponseRedirect(reverse("sales:pipeline-list"))


class PipelineDeleteView(PipelineAdminMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        pipeline = get_object_or_404(Pipeline, pk=pk)
        try:
            services.delete_pipeline(request.user, pipeline)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(reverse("sales:pipeline-edit", args=[pk]))
        messages.success(request, _("Pipeline “%(name)s” deleted.") % {"name": pipeline.name})
        return HttpResponseRedirect(reverse("sales:pipeline-list"))


# --------------------------------------------------------------------------------------------
# the customer pool
# --------------------------------------------------------------------------------------------


def _claim(
    request: HttpRequest, services_: RecordServices, ids: list[int], form: Any
) -> BulkResult:
    user = request.user
    result = BulkResult()
    error = ""
    for account in pool.pool_queryset(user).filter(pk__in=ids).order_by("name", "pk"):
        try:
            with transaction.atomic():
                pool.claim_account(user, account)
        except ValidationError as exc:
            error = " ".join(exc.messages)
            cap = pool.cap_for(user)
            if cap is not None and pool.held_count(user) >= cap:
                break  # at the cap no further claim can succeed
        else:
            result.done += 1
    result.skipped = len(ids) - result.done
    if error and not result.done:
        raise ValidationError(error)
    if error:
        messages.warning(request, error)
    return result


def _assign(
    request: HttpRequest, services_: RecordServices, ids: list[int], form: Any
) -> BulkResult:
    owner = form.cleaned_data["owner"]
    result = BulkResult()
    for account in pool.pool_queryset(request.user).filter(pk__in=ids).order_by("name", "pk"):
        try:
            with transaction.atomic():
                pool.assign_from_pool(request.user, account, owner)
        except ValidationError as exc:
            if not result.done:
                raise
            messages.warning(request, " ".join(exc.messages))
            break
        result.done += 1
    result.skipped = len(ids) - result.done
    return result


class PoolAssignBulkForm(PoolAssignForm):
    use_required_attribute = False

    def __init__(self, user: Any, services_: RecordServices, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, owners=assignable_owners(user, "account"), **kwargs)


CLAIM = BulkAction("claim", gettext_lazy("Claim"), Action.EDIT, _claim)
ASSIGN = BulkAction(
    "assign", gettext_lazy("Assign"), Action.EDIT, _assign, form_class=PoolAssignBulkForm
)


class PoolView(ObjectListView):
    """The pool (公海): accounts without an owner, to claim (within the role's cap) or, for a
    manager, to assign to a member of their teams."""

    services = ACCOUNT_SERVICES
    filterset_class = PoolFilterSet
    table_class = PoolTable
    template_name = "sales/pool.html"
    title = gettext_lazy("Customer pool")
    create_url_name = None
    primary_filters = (
        "relationship_class",
        "industry",
        "province",
        "city",
        "tag",
        "pooled_before",
        "no_activity_since",
    )

    @property
    def bulk_actions(self) -> tuple[BulkAction, ...]:  # type: ignore[override]
        user = self.request.user
        if user.is_authenticated and can_assign_others(user, "account"):
            return (CLAIM, ASSIGN)
        return (CLAIM,)

    def base_queryset(self) -> Any:
        return pool.pool_queryset(self.request.user)

    def session_key(self) -> str:
        return "guanxi:columns:pool"

    @property
    def saved_view_type(self) -> str:
        return "pool"  # the pool's views are not the account list's

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        user = self.request.user
        context.update(
            cap=pool.cap_for(user),
            held=pool.held_count(user),
            can_configure=user.is_admin_for("account"),
        )
        return context


class PoolClaimView(LoginRequiredMixin, View):
    """Claim one account from the pool (the account page's button)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = core.get_visible(request.user, Account, pk)
        try:
            pool.claim_account(request.user, account)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("“%(name)s” is yours now.") % {"name": account.name})
        return HttpResponseRedirect(safe_next(request, account.get_absolute_url()))


class PoolAssignView(LoginRequiredMixin, View):
    """A manager gives one pool account to a member of their teams."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = core.get_visible(request.user, Account, pk)
        if not can_assign_others(request.user, "account"):
            raise PermissionDenied(_("You may only assign to members of your teams."))
        form = PoolAssignForm(request.POST, owners=assignable_owners(request.user, "account"))
        if not form.is_valid():
            messages.error(request, _("Choose whom to assign the account to."))
        else:
            owner = form.cleaned_data["owner"]
            try:
                pool.assign_from_pool(request.user, account, owner)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("“%(name)s” is assigned to %(owner)s.")
                    % {"name": account.name, "owner": owner},
                )
        return HttpResponseRedirect(safe_next(request, account.get_absolute_url()))


class PoolReturnView(LoginRequiredMixin, View):
    """Give an account back to the pool (its owner, or a manager above)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = core.get_visible(request.user, Account, pk)
        core.require_editable(request.user, account)
        form = ReturnToPoolForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        pool.return_to_pool(request.user, account, reason)
        messages.success(request, _("“%(name)s” is back in the pool.") % {"name": account.name})
        return HttpResponseRedirect(safe_next(request, reverse("sales:pool")))


class PoolAdminMixin(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not request.user.is_admin_for("account"):
            raise PermissionDenied(_("Only administrators set the pool's rules and caps."))
        return super().dispatch(request, *args, **kwargs)


class PoolRulesView(PoolAdminMixin, View):
    """When accounts of each relationship class go back to the pool."""

    template_name = "sales/pool_rules.html"

    def initial(self) -> list[dict[str, Any]]:
        rules = {r.relationship_class: r for r in PoolRule.objects.all()}
        rows = []
        for value, _label in RelationshipClass.choices:
            rule = rules.get(value)
            rows.append(
                {
                    "relationship_class": value,
                    "enabled": bool(rule and rule.is_active),
                    "days_without_followup": rule.days_without_followup if rule else None,
                    "days_without_win": rule.days_without_win if rule else None,
                    "warning_days": rule.warning_days if rule else 3,
                }
            )
        return rows

    def get(self, request: HttpRequest) -> HttpResponse:
        formset = PoolRuleFormSet(initial=self.initial(), prefix="rules")
        return render(request, self.template_name, {"formset": formset})

    def post(self, request: HttpRequest) -> HttpResponse:
        formset = PoolRuleFormSet(request.POST, initial=self.initial(), prefix="rules")
        if formset.is_valid():
            failed = False
            existing = {r.relationship_class: r for r in PoolRule.objects.all()}
            try:
                with transaction.atomic():
                    for form in formset.forms:
                        data = form.cleaned_data
                        if not data:
                            continue  # a row the browser did not send back
                        code = data["relationship_class"]
                        has_limits = data.get("days_without_followup") or data.get(
                            "days_without_win"
                        )
                        if not data.get("enabled") and not has_limits:
                            if code in existing:
                                pool.delete_pool_rule(request.user, existing[code])
                            continue
                        try:
                            pool.save_pool_rule(
                                request.user,
                                code,
                                {
                                    "days_without_followup": data.get("days_without_followup"),
                                    "days_without_win": data.get("days_without_win"),
                                    "warning_days": data.get("warning_days")
                                    if data.get("warning_days") is not None
                                    else 3,
                                    "is_active": bool(data.get("enabled")),
                                },
                            )
                        except ValidationError as exc:
                            failed = True
                            for name, errors in exc.message_dict.items():
                                for error in errors:
                                    form.add_error(name if name in form.fields else None, error)
                    if failed:
                        raise ValidationError("rolled back")
            except ValidationError:
                return render(request, self.template_name, {"formset": formset})
            messages.success(request, _("Pool rules saved."))
            return HttpResponseRedirect(reverse("sales:pool-rules"))
        return render(request, self.template_name, {"formset": formset})


class PoolCapsView(PoolAdminMixin, View):
    """How many accounts a user with each role may hold."""

    template_name = "sales/pool_caps.html"

    def initial(self) -> list[dict[str, Any]]:
        from guanxi.customers.models import PoolCap

        caps = dict(PoolCap.objects.values_list("role_id", "max_accounts"))
        return [
            {"role": role.pk, "max_accounts": caps.get(role.pk)}
            for role in Role.objects.order_by("-is_builtin", "name")
        ]

    def context(self, formset: Any) -> dict[str, Any]:
        roles = {r.pk: r for r in Role.objects.all()}
        rows = [(roles.get(form.initial.get("role")), form) for form in formset.forms]
        return {"formset": formset, "rows": rows}

    def get(self, request: HttpRequest) -> HttpResponse:
        formset = PoolCapFormSet(initial=self.initial(), prefix="caps")
        return render(request, self.template_name, self.context(formset))

    def post(self, request: HttpRequest) -> HttpResponse:
        formset = PoolCapFormSet(request.POST, initial=self.initial(), prefix="caps")
        if not formset.is_valid():
            return render(request, self.template_name, self.context(formset))
        with transaction.atomic():
            for form in formset.forms:
                if not form.cleaned_data:
                    continue
                pool.set_pool_cap(
                    request.user, form.cleaned_data["role"], form.cleaned_data["max_accounts"]
                )
        messages.success(request, _("Pool caps saved."))
        return HttpResponseRedirect(reverse("sales:pool-caps"))
