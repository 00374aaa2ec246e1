"""The lead funnel page (lead → qualified → opportunity → won) and the predictive score's
status, with the administrators' "train now".

Thin views: the numbers come from :mod:`guanxi.leads.funnel` over the leads the user may see;
training runs as a background job (:mod:`guanxi.core.jobs`).
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from guanxi.core import jobs
from guanxi.core.models import Team, User
from guanxi.marketing.models import Campaign
from guanxi.sales.forms import PeriodForm, _small

from . import funnel, predictive
from .models import LeadSource

GROUP_CHOICES = [
    ("source", gettext_lazy("Source")),
    ("campaign", gettext_lazy("Campaign")),
    ("owner", gettext_lazy("Rep")),
    ("period", gettext_lazy("Period")),
]


class FunnelForm(PeriodForm):
    """The funnel's filters: created from/to, grouping, month or quarter, and narrowing."""

    group_by = forms.ChoiceField(label=gettext_lazy("By"), choices=GROUP_CHOICES, required=False)
    source = forms.ChoiceField(label=gettext_lazy("Source"), required=False)
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"), queryset=Campaign.objects.none(), required=False
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), queryset=Team.objects.all(), required=False
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Rep"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start"].label = _("Created from")
        self.fields["source"].choices = [("", _("Any source")), *LeadSource.choices]
        self.fields["campaign"].queryset = Campaign.objects.visible_to(user).order_by("name")
        self.fields["campaign"].empty_label = _("Any campaign")
        self.fields["team"].empty_label = _("Any team")
        self.fields["owner"].queryset = User.objects.filter(
            kind=User.Kind.STAFF, is_active=True
        ).order_by("username")
        self.fields["owner"].empty_label = _("Anyone")
        # the form's order on the page: when, how grouped, then what is narrowed
        self.order_fields(["start", "end", "group_by", "period"])
        _small(self)


def _bound_form(request: HttpRequest) -> tuple[FunnelForm, dict[str, Any]]:
    start, end = funnel.default_range()
    default = {"start": start, "end": end, "group_by": "source", "period": "month"}
    data = request.GET.copy()
    for key, value in default.items():
        if not data.get(key):
            data[key] = value.isoformat() if isinstance(value, dt.date) else value
    form = FunnelForm(data, user=request.user)
    if form.is_valid():
        cleaned = {**default, **{k: v for k, v in form.cleaned_data.items() if v}}
    else:
        cleaned = dict(default)
    return form, cleaned


def report_for(request: HttpRequest, data: dict[str, Any]) -> funnel.FunnelReport:
    queryset = funnel.funnel_queryset(
        request.user,
        data["start"],
        data["end"],
        source=data.get("source") or None,
        campaign=data.get("campaign"),
        owner=data.get("owner"),
        team=data.get("team"),
    )
    return funnel.funnel(
        request.user,
        start=data["start"],
        end=data["end"],
        group_by=data["group_by"],
        period=data["period"],
        queryset=queryset,
    )


def predictive_status() -> dict[str, Any]:
    """Which model gives the predictive score and how good it is; without one, what history
    is missing (counted only then: with a million leads the count is not free)."""
    model = predictive.active_model()
    status: dict[str, Any] = {"model": model, "enough": True}
    if model is None:
        # a count over every lead: reused for a minute by the page (the API counts afresh)
        known = cache.get_or_set("guanxi:funnel:lead-history", predictive.history, 60)
        status["enough"] = known.enough
        status["message"] = predictive.not_enough_message(known) if not known.enough else ""
    else:
        status["raising"], status["lowering"] = predictive.drivers(model)
    return status


class FunnelView(LoginRequiredMixin, View):
    """The funnel of the leads the user may see: a chart, a table per group, CSV with
    ``?format=csv``; and the predictive score's model."""

    template_name = "leads/funnel/report.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form, data = _bound_form(request)
        report = report_for(request, data)
        if request.GET.get("format") == "csv":
            return self.csv(report)
        group_label = dict(GROUP_CHOICES)[data["group_by"]]
        query = request.GET.copy()
        query["format"] = "csv"
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "report": report,
                "group_label": group_label,
                "chart": funnel.chart_data(report),
                "csv_url": f"?{query.urlencode()}",
                "predictive": predictive_status(),
                "can_train": request.user.is_admin_for("lead"),
            },
        )

    @staticmethod
    def csv(report: funnel.FunnelReport) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="lead-funnel.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 (Chinese names) correctly with a BOM
        writer = csv.writer(response)
        writer.writerow(
            [
                _("Group"),
                _("Leads"),
                _("Qualified"),
                _("Opportunities"),
                _("Won"),
                _("Lead to won %"),
                _("Contacted"),
                _("Average hours to first contact"),
                _("Median hours to first contact"),
                _("Currency"),
                _("Cost"),
                _("Cost per lead"),
                _("Cost per win"),
            ]
        )
        for row in [*report.rows, report.total]:
            base = [
                row.label,
                row.leads,
                row.qualified,
                row.opportunities,
                row.won,
                row.overall_rate if row.overall_rate is not None else "",
                row.contacted,
                row.avg_hours_to_contact if row.avg_hours_to_contact is not None else "",
                row.median_hours_to_contact if row.median_hours_to_contact is not None else "",
            ]
            costs = row.rounded_cost()
            if not costs:
                writer.writerow([*base, "", "", "", ""])
            for currency, amount in costs.items():
                writer.writerow(
                    [
                        *base,
                        currency,
                        amount,
                        row.cost_per_lead.get(currency, ""),
                        row.cost_per_win.get(currency, ""),
                    ]
                )
        return response


class TrainModelView(LoginRequiredMixin, View):
    """An administrator trains the predictive model now (a background job)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_admin_for("lead"):
            raise PermissionDenied(_("Only administrators train the predictive model."))
        known = predictive.history()
        if not known.enough:
            messages.error(request, predictive.not_enough_message(known))
        else:
            jobs.start_job(
                request.user,
                "train_lead_model",
                "guanxi.leads.predictive.train_job",
                message=_("Training the predictive model…"),
            )
            messages.success(
                request,
                _(
                    "Training started: the model and the open leads' predicted chances are "
                    "updated in a moment."
                ),
            )
        return HttpResponseRedirect(reverse("funnel:report") + "#predictive")
