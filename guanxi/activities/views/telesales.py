"""Telesales pages: call lists, the call screen, call outcomes (administrators) and the
calls-per-rep-per-day report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from guanxi.core import services as core
from guanxi.core.errors import StaleVersion
from guanxi.core.generic import (
    ASSIGN_OWNER,
    DELETE,
    HISTORY_TAB,
    SHARING_TAB,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    RecordServices,
    Tab,
    apply_service_error,
    paginate,
)
from guanxi.core.models import Action, Note

from .. import selectors, services
from ..filters import CallListFilterSet
from ..forms import CallListForm, CallOutcomeForm, CallReportForm, LogCallForm
from ..models import CallList, CallListEntry, CallOutcome, EntryStatus
from ..tables import CallListTable

CALL_LIST_SERVICES = RecordServices(
    model=CallList,
    create=services.create_call_list,
    update=services.update_call_list,
    delete=services.delete_call_list,
)


class CallListListView(ObjectListView):
    services = CALL_LIST_SERVICES
    filterset_class = CallListFilterSet
    table_class = CallListTable
    template_name = "activities/calllist_list.html"
    title = gettext_lazy("Call lists")
    create_url_name = "activities:calllist-create"
    bulk_actions = (ASSIGN_OWNER, DELETE)
    primary_filters = ("record_type", "owner", "team")

    def base_queryset(self) -> QuerySet:
        return selectors.with_counts(super().base_queryset())


class CallListDetailView(ObjectDetailView):
    services = CALL_LIST_SERVICES
    template_name = "activities/calllist_detail.html"
    tabs = (
        Tab("entries", gettext_lazy("Entries"), "activities/tabs/calllist_entries.html"),
        HISTORY_TAB,
        SHARING_TAB,
    )
    select_related = ("owner", "team", "saved_view", "created_by", "updated_by")
    edit_url_name = "activities:calllist-edit"
    delete_url_name = "activities:calllist-delete"
    list_url_name = "activities:calllist-list"

    def get_extra_context(self, obj: CallList) -> dict[str, Any]:
        counts = obj.entries.aggregate(
            total=Count("pk"),
            pending=Count("pk", filter=Q(status=EntryStatus.PENDING)),
            done=Count("pk", filter=Q(status=EntryStatus.DONE)),
            skipped=Count("pk", filter=Q(status=EntryStatus.SKIPPED)),
        )
        can_call = self.can_edit(obj) and self.request.user.has_action("activity", Action.CREATE)
        return {
            "counts": counts,
            "progress": round(100 * (counts["total"] - counts["pending"]) / counts["total"])
            if counts["total"]
            else 0,
            "call_url": reverse("activities:calllist-call", args=[obj.pk])
            if can_call and counts["pending"]
            else None,
        }

    def tab_entries_context(self, obj: CallList) -> dict[str, Any]:
        try:
            number = int(self.request.GET.get("page", 1))
        except ValueError:
            number = 1
        entries = obj.entries.select_related("outcome", "caller").order_by("position")
        status = self.request.GET.get("status", "")
        if status in EntryStatus.values:
            entries = entries.filter(status=status)
        page = paginate(entries, number, 100)
        return {
            "entries_page": page,
            "entry_status": status,
            "statuses": EntryStatus.choices,
            "can_call": self.can_edit(obj) and self.request.user.has_action("activity", "create"),
        }


class CallListEditView(ObjectEditView):
    services = CALL_LIST_SERVICES
    form_class = CallListForm
    list_url_name = "activities:calllist-list"

    def get_initial(self) -> dict[str, Any]:
        params = self.request.GET
        initial: dict[str, Any] = {}
        if params.get("object_type") in CallList.ObjectType.values:
            initial["record_type"] = params["object_type"]
        if params.get("query"):
            initial["query"] = params["query"]
        if params.get("saved_view", "").isdigit():
            initial["saved_view"] = int(params["saved_view"])
        return initial


class CallListDeleteView(ObjectDeleteView):
    services = CALL_LIST_SERVICES
    list_url_name = "activities:calllist-list"

    def related_summary(self, obj: CallList) -> list[tuple[Any, int]]:
        return [(_("entries"), obj.entries.count())]


def _editable_list(request: HttpRequest, pk: int) -> CallList:
    call_list = core.get_visible(request.user, CallList, pk)
    core.require_editable(request.user, call_list)
    core.require_action(request.user, "activity", Action.CREATE)
    return call_list


def _next_pending(call_list: CallList, after: int = 0) -> CallListEntry | None:
    pending = call_list.entries.filter(status=EntryStatus.PENDING).order_by("position")
    return pending.filter(position__gt=after).first() or pending.first()


@login_required
def call_next(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the call screen on the next entry to call."""
    call_list = _editable_list(request, pk)
    entry = _next_pending(call_list)
    if entry is None:
        messages.success(request, _("Everyone on this list has been called."))
        return HttpResponseRedirect(call_list.get_absolute_url())
    return HttpResponseRedirect(reverse("activities:call-screen", args=[call_list.pk, entry.pk]))


class CallScreenView(LoginRequiredMixin, View):
    """One entry of a call list: the record, its phones, the script, its recent timeline,
    and the buttons for how the call went."""

    template_name = "activities/call_screen.html"
    timeline_size = 5

    def get_entry(self, pk: int, entry_pk: int) -> tuple[CallList, CallListEntry]:
        call_list = _editable_list(self.request, pk)
        entry = (
            call_list.entries.select_related("outcome", "caller", "next_activity")
            .filter(pk=entry_pk)
            .first()
        )
        if entry is None:
            raise Http404(_("No such entry."))
        return call_list, entry

    def context(
        self, call_list: CallList, entry: CallListEntry, form: LogCallForm | None = None
    ) -> dict[str, Any]:
        user = self.request.user
        record = services.entry_record(user, entry)
        counts = call_list.entries.aggregate(
            total=Count("pk"), pending=Count("pk", filter=Q(status=EntryStatus.PENDING))
        )
        timeline: list[Note] = []
        fields: list[tuple[Any, Any]] = []
        if record is not None:
            timeline = list(
                Note.objects.visible_to(user)
                .filter(
                    content_type=ContentType.objects.get_for_id(entry.content_type_id),
                    object_id=record.pk,
                )
                .select_related("created_by")
                .order_by("-occurred_at", "-pk")[: self.timeline_size]
            )
            fields = _record_fields(record)
        script = services.fill_script(call_list.script, services.script_values(record, user))
        return {
            "object": call_list,
            "call_list": call_list,
            "entry": entry,
            "record": record,
            "fields": fields,
            "phones": [
                (label, number, services.tel_href(number))
                for label, number in services.phone_numbers(record)
            ],
            "script": script,
            "timeline": timeline,
            "form": form or LogCallForm(),
            "outcomes": list(CallOutcome.objects.filter(is_active=True)),
            "counts": counts,
            "position": entry.position,
            "next_entry": call_list.entries.filter(
                status=EntryStatus.PENDING, position__gt=entry.position
            )
            .order_by("position")
            .first(),
        }

    def get(self, request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
        call_list, entry = self.get_entry(pk, entry_pk)
        return render(request, self.template_name, self.context(call_list, entry))

    def post(self, request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
        call_list, entry = self.get_entry(pk, entry_pk)
        action = request.POST.get("_action", "log")
        if action == "skip":
            try:
                services.skip_list_entry(request.user, entry, notes=request.POST.get("notes", ""))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            return self._go_on(call_list, entry)
        form = LogCallForm(request.POST)
        if form.is_valid():
            try:
                services.log_list_call(
                    request.user,
                    entry,
                    outcome=form.cleaned_data["outcome"],
                    notes=form.cleaned_data.get("notes") or "",
                    next_call_at=form.cleaned_data.get("next_call_at"),
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Call logged: %(name)s.") % {"name": entry})
                return self._go_on(call_list, entry)
        return render(request, self.template_name, self.context(call_list, entry, form), status=200)

    def _go_on(self, call_list: CallList, entry: CallListEntry) -> HttpResponse:
        following = _next_pending(call_list, after=entry.position)
        if following is None:
            messages.success(self.request, _("Everyone on this list has been called."))
            return HttpResponseRedirect(call_list.get_absolute_url())
        return HttpResponseRedirect(
            reverse("activities:call-screen", args=[call_list.pk, following.pk])
        )


def _record_fields(record: Any) -> list[tuple[Any, Any]]:
    """A few telling fields of the record being called."""
    names = {
        "lead": ["company", "title", "status", "source", "city", "product_interest", "owner"],
        "contact": ["account", "title", "department", "buying_role", "email", "owner"],
        "account": ["relationship_class", "industry", "city", "email", "owner"],
    }.get(record._meta.model_name, ["owner"])
    from guanxi.customers.views import _field_rows

    return _field_rows(record, [n for n in names if hasattr(record, n)])


# --------------------------------------------------------------------------------------------
# call outcomes (administrators)
# --------------------------------------------------------------------------------------------


def _require_outcome_admin(request: HttpRequest) -> None:
    if not request.user.is_admin_for("calloutcome"):
        raise PermissionDenied(_("Only administrators change call outcomes."))


@login_required
def outcome_list(request: HttpRequest) -> HttpResponse:
    _require_outcome_admin(request)
    return render(
        request,
        "activities/outcome_list.html",
        {"outcomes": list(CallOutcome.objects.order_by("order", "pk"))},
    )


@login_required
def outcome_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_outcome_admin(request)
    outcome = None
    if pk is not None:
        outcome = CallOutcome.objects.filter(pk=pk).first()
        if outcome is None:
            raise Http404(_("No such outcome."))
    form = CallOutcomeForm(request.POST or None, instance=outcome or CallOutcome())
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.OUTCOME_FIELDS}
        try:
            services.save_call_outcome(
                request.user, outcome, data, expected_version=form.cleaned_data.get("version")
            )
        except StaleVersion:
            form.add_error(None, _("Someone else changed this outcome meanwhile; look again."))
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request, _("Saved the outcome “%(label)s”.") % {"label": data["label"]}
            )
            return HttpResponseRedirect(reverse("activities:outcome-list"))
    title = _("Edit call outcome") if outcome else _("New call outcome")
    return render(
        request,
        "activities/outcome_form.html",
        {"form": form, "object": outcome, "title": title},
    )


@login_required
def outcome_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_outcome_admin(request)
    outcome = CallOutcome.objects.filter(pk=pk).first()
    if outcome is None:
        raise Http404(_("No such outcome."))
    if request.method == "POST":
        try:
            services.delete_call_outcome(request.user, outcome)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Deleted the outcome “%(label)s”.") % {"label": outcome})
    return HttpResponseRedirect(reverse("activities:outcome-list"))


# --------------------------------------------------------------------------------------------
# calls per rep per day
# --------------------------------------------------------------------------------------------


@login_required
def call_report(request: HttpRequest) -> HttpResponse:
    """Calls made per rep and day, by outcome, over what the user may see."""
    form = CallReportForm(request.GET or None)
    start, end = form.period()
    report = selectors.call_counts(request.user, start, end)
    rows = [
        (row, [row.by_outcome.get(outcome.pk, 0) for outcome in report.outcomes])
        for row in report.rows
    ]
    totals = [report.by_outcome.get(outcome.pk, 0) for outcome in report.outcomes]
    return render(
        request,
        "activities/call_report.html",
        {
            "form": form,
            "report": report,
            "rows": rows,
            "totals": totals,
            "without_outcome": report.by_outcome.get(None, 0),
        },
    )
