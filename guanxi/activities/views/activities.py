"""Activity pages: list, detail, plan/edit, complete, cancel, delete; the panel of a record's
activities and the related-record picker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
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
    safe_next,
)
from guanxi.core.models import Action
from guanxi.core.search import global_search
from guanxi.customers.views import _field_rows

from .. import services
from ..filters import ActivityFilterSet
from ..forms import ActivityForm, CompleteForm
from ..models import TIMED_KINDS, Activity, ActivityKind, ActivityStatus
from ..tables import ActivityTable

ACTIVITY_SERVICES = RecordServices(
    model=Activity,
    create=services.create_activity,
    update=services.update_activity,
    delete=services.delete_activity,
)


class ActivityListView(ObjectListView):
    services = ACTIVITY_SERVICES
    filterset_class = ActivityFilterSet
    table_class = ActivityTable
    template_name = "activities/activity_list.html"
    title = gettext_lazy("Activities")
    create_url_name = "activities:activity-create"
    bulk_actions = (ASSIGN_OWNER, DELETE)
    primary_filters = ("kind", "status", "owner", "due_from", "due_to", "overdue")


class ActivityDetailView(ObjectDetailView):
    services = ACTIVITY_SERVICES
    template_name = "activities/activity_detail.html"
    tabs = (
        Tab("overview", gettext_lazy("Overview"), "activities/tabs/activity_overview.html"),
        HISTORY_TAB,
        SHARING_TAB,
    )
    select_related = ("owner", "team", "account", "outcome", "note", "created_by", "updated_by")
    prefetch_related = ("attendees",)
    edit_url_name = "activities:activity-edit"
    delete_url_name = "activities:activity-delete"
    list_url_name = "activities:activity-list"

    def get_extra_context(self, obj: Activity) -> dict[str, Any]:
        can_act = self.can_edit(obj) and obj.status == ActivityStatus.OPEN
        return {
            "complete_url": reverse("activities:activity-complete", args=[obj.pk])
            if can_act
            else None,
            "cancel_url": reverse("activities:activity-cancel", args=[obj.pk]) if can_act else None,
            "complete_form": CompleteForm(initial={"version": obj.version}) if can_act else None,
        }

    def tab_overview_context(self, obj: Activity) -> dict[str, Any]:
        names = ["kind", "status", "priority"]
        names += ["start_at", "end_at"] if obj.kind in TIMED_KINDS else ["due_at"]
        names += ["all_day", "reminder_at", "location", "owner", "team"]
        if obj.status == ActivityStatus.DONE:
            names += ["done_at", "outcome"]
        related = obj.related
        return {
            "fields": _field_rows(obj, names),
            "related": related,
            "related_visible": related is not None
            and related.deleted_at is None
            and type(related).objects.visible_to(self.request.user).filter(pk=related.pk).exists(),
            "attendees": list(obj.attendees.all()),
        }


def _default_due(day: str) -> dt.datetime | None:
    """Nine in the morning, local time, of a ``YYYY-MM-DD`` day (from the calendar)."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        return None
    return timezone.make_aware(dt.datetime.combine(date, dt.time(9, 0)))


class ActivityEditView(ObjectEditView):
    services = ACTIVITY_SERVICES
    form_class = ActivityForm
    list_url_name = "activities:activity-list"
    template_name = "activities/activity_form.html"

    def get_initial(self) -> dict[str, Any]:
        params = self.request.GET
        initial: dict[str, Any] = {}
        kind = params.get("kind", "")
        if kind in ActivityKind.values:
            initial["kind"] = kind
        object_type, object_id = params.get("object_type", ""), params.get("object_id", "")
        if object_type and object_id.isdigit():
            initial["related"] = f"{object_type}:{object_id}"
        when = _default_due(params.get("date", ""))
        if when is not None:
            initial["start_at" if kind in TIMED_KINDS else "due_at"] = when
            if kind in TIMED_KINDS:
                initial["end_at"] = when + dt.timedelta(hours=1)
        if params.get("subject"):
            initial["subject"] = params["subject"][:200]
        return initial


class ActivityDeleteView(ObjectDeleteView):
    services = ACTIVITY_SERVICES
    list_url_name = "activities:activity-list"


class ActivityCompleteView(LoginRequiredMixin, View):
    """Mark an activity done (GET shows the form on its own page, POST completes it)."""

    template_name = "activities/activity_complete.html"

    def get_object(self, pk: int) -> Activity:
        activity = core.get_visible(self.request.user, Activity, pk)
        core.require_editable(self.request.user, activity)
        return activity

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = self.get_object(pk)
        form = CompleteForm(initial={"version": activity.version})
        return render(request, self.template_name, {"object": activity, "form": form})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = self.get_object(pk)
        form = CompleteForm(request.POST)
        back = safe_next(request, activity.get_absolute_url())
        if not form.is_valid():
            return render(request, self.template_name, {"object": activity, "form": form})
        try:
            services.complete_activity(
                request.user,
                activity,
                outcome=form.cleaned_data.get("outcome"),
                result=form.cleaned_data.get("result") or "",
                expected_version=form.cleaned_data.get("version"),
            )
        except StaleVersion:
            messages.error(
                request, _("Someone else changed this activity meanwhile; look at it again.")
            )
            return HttpResponseRedirect(activity.get_absolute_url())
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
            return render(request, self.template_name, {"object": activity, "form": form})
        messages.success(request, _("Done: “%(subject)s”.") % {"subject": activity.subject})
        return HttpResponseRedirect(back)


class ActivityCancelView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = core.get_visible(request.user, Activity, pk)
        core.require_editable(request.user, activity)
        raw = request.POST.get("version", "")
        try:
            services.cancel_activity(
                request.user,
                activity,
                expected_version=int(raw) if raw.isdigit() else None,
                reason=request.POST.get("reason", "")[:2000],
            )
        except StaleVersion:
            messages.error(
                request, _("Someone else changed this activity meanwhile; look at it again.")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Cancelled “%(subject)s”.") % {"subject": activity.subject})
        return HttpResponseRedirect(safe_next(request, activity.get_absolute_url()))


class RelatedAutocompleteView(LoginRequiredMixin, View):
    """Accounts, contacts, leads and opportunities the user can see matching ``q``."""

    limit = 12

    def get(self, request: HttpRequest) -> HttpResponse:
        q = request.GET.get("q", "")
        if not q:
            q = next((v for k, v in request.GET.items() if k.endswith("__search")), "")
        q = q.strip()
        hits = []
        if q:
            models = services.related_models()
            labels = {name: m._meta.verbose_name.capitalize() for name, m in models.items()}
            for hit in global_search(request.user, q, limit=self.limit, types=list(models)):
                hits.append(
                    {
                        "pk": f"{hit.object_type}:{hit.id}",
                        "label": f"{labels[hit.object_type]}: {hit.title}",
                        "subtitle": hit.subtitle,
                    }
                )
        return render(request, "generic/widgets/autocomplete_results.html", {"hits": hits, "q": q})


class RecordActivitiesView(LoginRequiredMixin, View):
    """The activities on one record, for a panel of its page (loaded with htmx)."""

    limit = 25

    def get(self, request: HttpRequest, object_type: str, pk: int) -> HttpResponse:
        model = services.related_models().get(object_type)
        if model is None:
            from django.http import Http404

            raise Http404(_("No such record."))
        record = core.get_visible(request.user, model, pk)
        from django.contrib.contenttypes.models import ContentType

        activities = (
            Activity.objects.visible_to(request.user)
            .filter(content_type=ContentType.objects.get_for_model(model), object_id=record.pk)
            .select_related("owner", "outcome")
        )
        open_rows = list(
            activities.filter(status=ActivityStatus.OPEN).order_by("due_at", "pk")[: self.limit]
        )
        closed_rows = list(
            activities.exclude(status=ActivityStatus.OPEN).order_by("-due_at", "-pk")[:10]
        )
        can_create = request.user.has_action("activity", Action.CREATE)
        base = reverse("activities:activity-create")
        next_url = record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
        new_links = (
            [
                (
                    kind.value,
                    kind.label,
                    f"{base}?kind={kind.value}&object_type={object_type}&object_id={record.pk}"
                    f"&next={next_url}",
                )
                for kind in ActivityKind
            ]
            if can_create
            else []
        )
        return render(
            request,
            "activities/includes/record_activities.html",
            {
                "record": record,
                "open_rows": open_rows,
                "closed_rows": closed_rows,
                "new_links": new_links,
                "list_url": f"{reverse('activities:activity-list')}?object_type={object_type}"
                f"&object_id={record.pk}",
            },
        )
