"""Lead pages: thin views over the generic pages and the lead services.

List (filters, bulk assign / tag / delete / back through the rules), detail (the score and why,
behaviours, timeline, history, sharing, status actions), create and edit, and the Convert page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from guanxi.core import services as core
from guanxi.core.errors import StaleVersion
from guanxi.core.generic import (
    ADD_TAG,
    ASSIGN_OWNER,
    DELETE,
    HISTORY_TAB,
    SHARING_TAB,
    BulkAction,
    BulkResult,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    RecordForm,
    RecordServices,
    Tab,
    apply_service_error,
    can_assign_others,
    is_htmx,
    reverse_or_none,
)
from guanxi.core.models import Action, Note
from guanxi.customers.forms import NoteForm
from guanxi.customers.views import TimelineTabMixin, _field_rows

from . import services
from .filters import LeadFilterSet
from .forms import BehaviourForm, ConvertForm, DisqualifyForm, LeadForm, ReassignForm
from .models import Lead, ScoringSettings
from .nurturing_views import ENROLL_IN_SEQUENCE
from .rules import can_administer
from .tables import LeadTable


def _create_lead(actor: Any, data: dict[str, Any], *, owner: Any = "actor") -> Lead:
    return services.create_lead(actor, data, assign=False, owner=owner)


LEAD_SERVICES = RecordServices(
    model=Lead,
    create=_create_lead,
    update=services.update_lead,
    delete=services.delete_lead,
)


def _bulk_assign_by_rules(
    request: HttpRequest, record_services: RecordServices, ids: list[int], form: Any
) -> BulkResult:
    """The ticked leads go back through the assignment rules (each to a new rep)."""
    user = request.user
    if not can_assign_others(user, "lead"):
        raise PermissionDenied(_("Only managers and administrators reassign leads in bulk."))
    leads = list(
        Lead.objects.editable_by(user).filter(pk__in=ids, status__in=services.OPEN_STATUSES)
    )
    result = services.assign_leads(leads, user, exclude_current_owner=True)
    done = sum(1 for lead in leads if result.get(lead.pk) != lead.owner_id)
    return BulkResult(done=done, skipped=len(ids) - done)


ASSIGN_BY_RULES = BulkAction(
    "assign_rules",
    gettext_lazy("Back through the assignment rules"),
    Action.EDIT,
    _bulk_assign_by_rules,
)


# --------------------------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------------------------


class LeadListView(ObjectListView):
    services = LEAD_SERVICES
    filterset_class = LeadFilterSet
    table_class = LeadTable
    template_name = "leads/lead_list.html"
    title = gettext_lazy("Leads")
    create_url_name = "leads:lead-create"
    bulk_actions = (ASSIGN_OWNER, ADD_TAG, ASSIGN_BY_RULES, ENROLL_IN_SEQUENCE, DELETE)
    primary_filters = (
        "status",
        "source",
        "campaign",
        "owner",
        "team",
        "score_min",
        "score_max",
        "created_after",
        "created_before",
    )

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        context["can_administer"] = can_administer(self.request.user)
        return context


# --------------------------------------------------------------------------------------------
# detail
# --------------------------------------------------------------------------------------------


class LeadDetailView(TimelineTabMixin, ObjectDetailView):
    services = LEAD_SERVICES
    template_name = "leads/lead_detail.html"
    tabs = (
        Tab("overview", gettext_lazy("Overview"), "leads/tabs/overview.html"),
        Tab("behaviours", gettext_lazy("Behaviours"), "leads/tabs/behaviours.html"),
        Tab("timeline", gettext_lazy("Timeline"), "customers/tabs/timeline.html"),
        HISTORY_TAB,
        SHARING_TAB,
    )
    select_related = (
        "owner",
        "team",
        "campaign",
        "web_form",
        "converted_account",
        "converted_contact",
        "converted_opportunity",
        "created_by",
        "updated_by",
    )
    prefetch_related = ("tags",)
    edit_url_name = "leads:lead-edit"
    delete_url_name = "leads:lead-delete"
    list_url_name = "leads:lead-list"

    overview_fields = [
        "company",
        "title",
        "mobile",
        "phone",
        "email",
        "source",
        "campaign",
        "industry",
        "province",
        "city",
        "product_interest",
        "budget",
        "decision_timeline",
        "owner",
        "team",
    ]

    def get_extra_context(self, obj: Lead) -> dict[str, Any]:
        can_edit = self.can_edit(obj) and obj.is_open
        user = self.request.user
        return {
            "can_act": can_edit,
            "convert_url": reverse("leads:lead-convert", args=[obj.pk]) if can_edit else None,
            "contacted_url": reverse("leads:lead-contacted", args=[obj.pk]),
            "disqualify_url": reverse("leads:lead-disqualify", args=[obj.pk]),
            "reassign_url": reverse("leads:lead-reassign", args=[obj.pk]),
            "disqualify_form": DisqualifyForm(initial={"version": obj.version})
            if can_edit
            else None,
            "reassign_form": ReassignForm(user=user, lead=obj) if can_edit else None,
            "converted_opportunity_url": _opportunity_url(obj.converted_opportunity),
        }

    def tab_overview_context(self, obj: Lead) -> dict[str, Any]:
        threshold = ScoringSettings.current().qualify_threshold
        lines = obj.score_breakdown or []
        return {
            "fields": _field_rows(obj, self.overview_fields),
            "threshold": threshold,
            "score_lines": lines,
            "score_gap": max(threshold - obj.score, 0),
            "scoring_url": reverse("leads:scoring") if can_administer(self.request.user) else None,
        }

    def tab_behaviours_context(
        self, obj: Lead, form: BehaviourForm | None = None
    ) -> dict[str, Any]:
        can_log = self.can_edit(obj)
        return {
            "behaviours": list(obj.behaviours.all()[:200]),
            "behaviour_form": (form or BehaviourForm()) if can_log else None,
            "behaviour_url": reverse("leads:lead-behaviour", args=[obj.pk]),
        }

    def timeline_queryset(self, obj: Lead) -> Any:
        return (
            Note.objects.visible_to(self.request.user)
            .filter(content_type=ContentType.objects.get_for_model(Lead), object_id=obj.pk)
            .select_related("created_by", "content_type")
            .order_by("-occurred_at", "-id")
        )

    def timeline_url(self, obj: Lead) -> str:
        return reverse("leads:lead-timeline", args=[obj.pk])


def _opportunity_url(opportunity: Any) -> str | None:
    if opportunity is None:
        return None
    return reverse_or_none("sales:opportunity-detail", opportunity.pk)


def _detail_view(request: HttpRequest, pk: int) -> tuple[LeadDetailView, Lead]:
    detail = LeadDetailView()
    detail.setup(request, pk=pk)
    return detail, detail.get_object(pk)


def _render_tab(
    request: HttpRequest, detail: LeadDetailView, obj: Lead, name: str, extra: dict[str, Any]
) -> HttpResponse:
    tab = next(t for t in detail.tabs if t.name == name)
    context = detail.get_context_data(obj, tab, detail.visible_tabs(obj))
    context.update(extra)
    if is_htmx(request):
        return render(request, tab.template, context)
    return render(request, detail.template_name, context)


# --------------------------------------------------------------------------------------------
# actions from the detail page
# --------------------------------------------------------------------------------------------


class LeadTimelineView(LoginRequiredMixin, View):
    """Log a note or an interaction; a call, visit, meeting … marks the lead contacted."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        detail, lead = _detail_view(request, pk)
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                services.log_interaction(request.user, lead, form.note_data())
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if not is_htmx(request):
                    messages.success(request, _("Logged on the timeline."))
                    return HttpResponseRedirect(f"{lead.get_absolute_url()}?tab=timeline")
                form = None
                lead = detail.get_object(pk)
        return _render_tab(
            request, detail, lead, "timeline", detail.tab_timeline_context(lead, form=form)
        )


class LeadBehaviourView(LoginRequiredMixin, View):
    """Record something the lead did (a reply, a visit …); the score follows at once."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        detail, lead = _detail_view(request, pk)
        form = BehaviourForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.log_behaviour(
                    request.user, lead, data["kind"], detail=data["detail"], at=data["at"]
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Recorded; the score is up to date."))
                return HttpResponseRedirect(f"{lead.get_absolute_url()}?tab=behaviours")
        return _render_tab(
            request, detail, lead, "behaviours", detail.tab_behaviours_context(lead, form=form)
        )


class LeadActionView(LoginRequiredMixin, View):
    """Base of the status actions: the lead must be visible (404) and editable (403)."""

    def get_lead(self, pk: int) -> Lead:
        lead = core.get_visible(self.request.user, Lead, pk)
        core.require_editable(self.request.user, lead)
        return lead

    def back(self, lead: Lead) -> HttpResponse:
        target = f"{lead.get_absolute_url()}?tab=overview"
        if Lead.objects.visible_to(self.request.user).filter(pk=lead.pk).exists():
            return HttpResponseRedirect(target)
        # given to someone the user cannot follow: back to the list
        return HttpResponseRedirect(reverse("leads:lead-list"))


class LeadContactedView(LeadActionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.get_lead(pk)
        services.mark_contacted(request.user, lead)
        messages.success(request, _("Marked as contacted."))
        return self.back(lead)


class LeadDisqualifyView(LeadActionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.get_lead(pk)
        form = DisqualifyForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say why the lead is disqualified."))
            return self.back(lead)
        try:
            services.disqualify_lead(
                request.user,
                lead,
                form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersion:
            messages.error(
                request, _("Someone else changed this lead meanwhile; look at it again.")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Disqualified."))
        return self.back(lead)


class LeadReassignView(LeadActionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.get_lead(pk)
        form = ReassignForm(request.POST, user=request.user, lead=lead)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return self.back(lead)
        owner = form.cleaned_data["owner"] if form.cleaned_data["how"] == "owner" else None
        try:
            updated = services.reassign_lead(request.user, lead, owner)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
            return self.back(lead)
        if updated.owner is not None:
            messages.success(request, _("Given to %(owner)s.") % {"owner": updated.owner})
        else:
            messages.warning(request, _("No rep has room now: the lead waits in its team's queue."))
        return self.back(updated)


# --------------------------------------------------------------------------------------------
# create, edit, delete
# --------------------------------------------------------------------------------------------


class LeadEditView(ObjectEditView):
    services = LEAD_SERVICES
    form_class = LeadForm
    list_url_name = "leads:lead-list"

    def get_initial(self) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        raw = self.request.GET.get("campaign", "")
        if raw.isdigit():
            initial["campaign"] = raw
        return initial

    def save(self, form: RecordForm, obj: Lead | None) -> Lead:
        saved = super().save(form, obj)
        if obj is None and form.cleaned_data.get("assign_by_rules"):
            services.assign_leads([saved], self.request.user)
            saved.refresh_from_db()
        return saved

    def success_url(self, obj: Lead) -> str:
        if Lead.objects.visible_to(self.request.user).filter(pk=obj.pk).exists():
            return obj.get_absolute_url()
        messages.info(
            self.request,
            _("The assignment rules gave “%(lead)s” to %(owner)s.")
            % {"lead": obj, "owner": obj.owner or obj.team or _("the queue")},
        )
        return reverse("leads:lead-list")


class LeadDeleteView(ObjectDeleteView):
    services = LEAD_SERVICES
    list_url_name = "leads:lead-list"

    def related_summary(self, obj: Lead) -> list[tuple[Any, int]]:
        note_type = ContentType.objects.get_for_model(Lead)
        return [
            (
                _("timeline entries"),
                Note.objects.filter(content_type=note_type, object_id=obj.pk).count(),
            )
        ]


# --------------------------------------------------------------------------------------------
# conversion
# --------------------------------------------------------------------------------------------


class LeadConvertView(LoginRequiredMixin, View):
    """Turn the lead into account + contact + opportunity, linking to what already exists."""

    template_name = "leads/lead_convert.html"

    def get_lead(self, pk: int) -> Lead:
        user = self.request.user
        lead = core.get_visible(user, Lead, pk)
        core.require_editable(user, lead)
        return lead

    def context(self, lead: Lead, form: ConvertForm) -> dict[str, Any]:
        contact = services.find_matching_contact(self.request.user, lead, form.match)
        if contact is not None and contact.account_id not in (
            None,
            getattr(form.match, "pk", None),
        ):
            contact = None
        return {
            "object": lead,
            "form": form,
            "match": form.match,
            "matching_contact": contact,
            "title": _("Convert %(lead)s") % {"lead": lead},
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.get_lead(pk)
        if not lead.is_open:
            messages.warning(request, _("Only an open lead can be converted."))
            return HttpResponseRedirect(lead.get_absolute_url())
        match = services.find_matching_account(request.user, lead)
        form = ConvertForm(user=request.user, lead=lead, match=match)
        return render(request, self.template_name, self.context(lead, form))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.get_lead(pk)
        match = services.find_matching_account(request.user, lead)
        form = ConvertForm(request.POST, user=request.user, lead=lead, match=match)
        if form.is_valid():
            account, new_account = form.chosen_account()
            create_opportunity = form.cleaned_data["create_opportunity"]
            try:
                with transaction.atomic():
                    account, contact, opportunity = services.convert_lead(
                        request.user,
                        lead,
                        account=account,
                        new_account=new_account,
                        create_opportunity=create_opportunity,
                        opportunity_data=form.opportunity_data() if create_opportunity else None,
                        expected_version=form.cleaned_data["version"],
                    )
            except StaleVersion as exc:
                data = request.POST.copy()
                data["version"] = str(exc.current.version)
                form = ConvertForm(data, user=request.user, lead=exc.current, match=match)
                form.is_valid()
                form.add_error(
                    None,
                    _(
                        "Someone else changed this lead meanwhile. Check it above and convert "
                        "again."
                    ),
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Converted “%(lead)s”: account %(account)s, contact %(contact)s.")
                    % {"lead": lead, "account": account, "contact": contact},
                )
                target = _opportunity_url(opportunity) or account.get_absolute_url()
                return HttpResponseRedirect(target)
        return render(request, self.template_name, self.context(lead, form), status=200)


class LeadScoringModelView(LoginRequiredMixin, View):
    """The scoring model every lead is scored by, for everyone to read."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from .models import LeadScoringRule

        rules = LeadScoringRule.objects.filter(is_active=True).order_by("kind", "-points", "name")
        return render(
            request,
            "leads/scoring_model.html",
            {
                "rules": list(rules),
                "threshold": ScoringSettings.current().qualify_threshold,
                "can_administer": can_administer(request.user),
            },
        )
