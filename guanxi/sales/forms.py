"""Forms of the sales pages. They validate and hand data to services; they never save."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.generic import RecordForm, TagsField, VisibleRecordChoiceField
from guanxi.core.models import Role, Team, User
from guanxi.customers.models import Account, BuyingRole, Contact, RelationshipClass

from .models import (
    Objection,
    Opportunity,
    Pipeline,
    Stage,
    StageKind,
)

ACCOUNT_AUTOCOMPLETE = reverse_lazy("customers:account-autocomplete")


def _small(form: forms.Form) -> None:
    """Bootstrap's small controls on every field of a compact form."""
    for form_field in form.fields.values():
        widget = form_field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


# --------------------------------------------------------------------------------------------
# opportunity
# --------------------------------------------------------------------------------------------


class OpportunityForm(RecordForm):
    """Create or edit an opportunity. A new one starts in its pipeline's first stage; later
    stage moves go through the stage control (or the board), never through this form."""

    tags = TagsField()

    fieldsets = (
        (_("Deal"), ("name", "account", "pipeline", "owner", "tags", "new_tags")),
        (
            _("Amount and timing"),
            (
                "amount",
                "currency",
                "expected_close_date",
                "probability",
                "forecast_category",
                "loss_reason",
            ),
        ),
        (_("Details"), ("products_of_interest", "competitors", "description")),
    )

    class Meta:
        model = Opportunity
        fields = (
            "name",
            "account",
            "pipeline",
            "amount",
            "currency",
            "expected_close_date",
            "probability",
            "forecast_category",
            "loss_reason",
            "products_of_interest",
            "competitors",
            "description",
            "tags",
        )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        account = self.fields["account"]
        instance = self.instance
        accounts = Account.objects.visible_to(user)
        if instance.pk is not None:
            # one who edits a shared deal keeps its account even without access to it
            accounts = Account.objects.filter(
                Q(pk__in=accounts.values("pk")) | Q(pk=instance.account_id)
            )
        self.fields["account"] = VisibleRecordChoiceField(
            accounts, ACCOUNT_AUTOCOMPLETE, label=account.label
        )
        if instance.pk is None:
            # the first stage decides these; they are edited once the deal is under way
            for name in ("probability", "forecast_category", "loss_reason"):
                self.fields.pop(name)
            pipelines = Pipeline.objects.filter(is_active=True)
            self.fields["pipeline"].queryset = pipelines
            self.fields["pipeline"].initial = getattr(Pipeline.default(), "pk", None)
            self.fields["pipeline"].empty_label = None
        else:
            self.fields.pop("pipeline")
            if instance.stage.kind != StageKind.LOST:
                self.fields.pop("loss_reason")
        self.fields["amount"].widget.attrs.update({"min": 0, "step": "0.01"})
        if "probability" in self.fields:
            self.fields["probability"].widget.attrs.update({"min": 0, "max": 100})
            self.fields["probability"].help_text = _("Set by the stage; adjust for this deal.")
        self.fields["products_of_interest"].widget.attrs["rows"] = 2
        self.fields["competitors"].help_text = _("Comma-separated.")


class MoveStageForm(forms.Form):
    """Move an opportunity to another stage of its pipeline; lost needs a reason."""

    stage = forms.ModelChoiceField(label=_("Move to"), queryset=Stage.objects.none())
    loss_reason = forms.CharField(label=_("Loss reason"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, opportunity: Opportunity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(
            pipeline_id=opportunity.pipeline_id
        ).order_by("order")
        self.fields["stage"].initial = opportunity.stage_id
        self.fields["stage"].empty_label = None
        self.fields["version"].initial = opportunity.version
        self.fields["loss_reason"].widget.attrs["placeholder"] = _("Why was it lost?")
        _small(self)


class ObjectionForm(forms.ModelForm):
    """Log an objection raised during the sale, and how it was handled."""

    class Meta:
        model = Objection
        fields = ("type", "description", "handling", "resolved")
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "handling": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _small(self)


class ObjectionUpdateForm(forms.Form):
    """Say how an objection was handled, and whether it is resolved."""

    handling = forms.CharField(
        label=_("How it was handled"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    resolved = forms.BooleanField(label=_("Resolved"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _small(self)


class DecisionMakersForm(forms.Form):
    """The account's contacts, each with the role they play in this decision (or none)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        opportunity: Opportunity,
        contacts: list[Contact],
        current: dict[int, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.contacts = contacts
        self.fields["version"].initial = opportunity.version
        choices = [("", _("Not involved")), *BuyingRole.choices]
        for contact in contacts:
            role = (current[contact.pk] or BuyingRole.OTHER) if contact.pk in current else ""
            self.fields[f"role_{contact.pk}"] = forms.ChoiceField(
                label=contact.name, choices=choices, required=False, initial=role
            )
        _small(self)

    def rows(self) -> list[tuple[Contact, forms.BoundField, Any]]:
        """(contact, its role field, the label of the role it has now)."""
        labels = dict([("", _("Not involved")), *BuyingRole.choices])
        return [
            (c, self[f"role_{c.pk}"], labels.get(self[f"role_{c.pk}"].value() or "", ""))
            for c in self.contacts
        ]

    def makers(self) -> list[tuple[Contact, str]]:
        chosen = []
        for contact in self.contacts:
            role = self.cleaned_data.get(f"role_{contact.pk}") or ""
            if role:
                chosen.append((contact, role))
        return chosen


# --------------------------------------------------------------------------------------------
# board, forecast and reports
# --------------------------------------------------------------------------------------------

CLOSE_PERIODS = [
    ("", _("Any time")),
    ("overdue", _("Overdue")),
    ("this_month", _("This month")),
    ("next_month", _("Next month")),
    ("this_quarter", _("This quarter")),
    ("next_quarter", _("Next quarter")),
]


def _month_start(day: dt.date, months: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: dt.date, quarters: int = 0) -> dt.date:
    first = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return _month_start(first, 3 * quarters)


def close_period_range(code: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The expected-close range of a board's period filter."""
    one_day = dt.timedelta(days=1)
    if code == "overdue":
        return None, today - one_day
    if code == "this_month":
        return _month_start(today), _month_start(today, 1) - one_day
    if code == "next_month":
        return _month_start(today, 1), _month_start(today, 2) - one_day
    if code == "this_quarter":
        return _quarter_start(today), _quarter_start(today, 1) - one_day
    if code == "next_quarter":
        return _quarter_start(today, 1), _quarter_start(today, 2) - one_day
    return None, None


def staff_users() -> Any:
    return User.objects.filter(kind=User.Kind.STAFF, is_active=True).order_by("username")


class BoardFilterForm(forms.Form):
    """The kanban board's filters: owner, team and when the deals are expected to close."""

    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True), required=False
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    close = forms.ChoiceField(label=_("Expected close"), choices=CLOSE_PERIODS, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        self.fields["pipeline"].empty_label = None
        self.fields["owner"].empty_label = _("Anyone")
        self.fields["team"].empty_label = _("Any team")
        _small(self)

    def filter(self, queryset: Any) -> Any:
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("owner"):
            queryset = queryset.filter(owner=data["owner"])
        if data.get("team"):
            team = data["team"]
            queryset = queryset.filter(team__path__startswith=team.path)
        start, end = close_period_range(data.get("close") or "", timezone.localdate())
        if start:
            queryset = queryset.filter(expected_close_date__gte=start)
        if end:
            queryset = queryset.filter(expected_close_date__lte=end)
        return queryset


class PeriodForm(forms.Form):
    """A period (from, to) with month or quarter buckets; the reports' common filter."""

    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())
    period = forms.ChoiceField(
        label=_("Per"),
        choices=[("month", _("Month")), ("quarter", _("Quarter"))],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _small(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end comes before the start."))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 3660:
            self.add_error("end", _("Choose a period of ten years at most."))
        return data


class ForecastForm(PeriodForm):
    group_by = forms.ChoiceField(
        label=_("By"), choices=[("owner", _("Rep")), ("team", _("Team"))], required=False
    )
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.all(), required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    owner = forms.ModelChoiceField(label=_("Rep"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()
        self.fields["pipeline"].empty_label = _("All pipelines")
        self.fields["team"].empty_label = _("Any team")
        self.fields["owner"].empty_label = _("Anyone")
        _small(self)


class VelocityForm(PeriodForm):
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.all(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].empty_label = None
        self.fields.pop("period")
        _small(self)


# --------------------------------------------------------------------------------------------
# pipelines (administrators)
# --------------------------------------------------------------------------------------------


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_default = forms.BooleanField(label=_("Default pipeline"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _small(self)


class StageRowForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Stage"), max_length=100)
    probability = forms.IntegerField(label=_("Probability %"), min_value=0, max_value=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=StageKind.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _small(self)


class BaseStageFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        kinds = [
            f.cleaned_data.get("kind")
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if StageKind.WON not in kinds or StageKind.LOST not in kinds:
            raise forms.ValidationError(_("A pipeline needs a won and a lost stage."))
        if StageKind.OPEN not in kinds:
            raise forms.ValidationError(_("A pipeline needs at least one open stage."))

    def stages(self) -> list[dict[str, Any]]:
        """The rows kept, in the order given (ORDER field), as the service takes them."""
        rows = [
            f.cleaned_data
            for f in self.ordered_forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        return [
            {
                "id": row.get("id"),
                "name": row["name"],
                "probability": row["probability"],
                "kind": row["kind"],
            }
            for row in rows
        ]


StageFormSet = forms.formset_factory(
    StageRowForm,
    formset=BaseStageFormSet,
    extra=2,
    can_delete=True,
    can_order=True,
    max_num=30,
)


# --------------------------------------------------------------------------------------------
# the pool
# --------------------------------------------------------------------------------------------


class ReturnToPoolForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["placeholder"] = _("Reason (optional)")
        _small(self)


class PoolAssignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].empty_label = _("Assign to…")
        _small(self)


class PoolRuleForm(forms.Form):
    """The return rule of one relationship class (a row of the rules page)."""

    relationship_class = forms.ChoiceField(
        choices=RelationshipClass.choices, widget=forms.HiddenInput
    )
    enabled = forms.BooleanField(label=_("Rule applies"), required=False)
    days_without_followup = forms.IntegerField(
        label=_("Days without follow-up"), min_value=1, required=False
    )
    days_without_win = forms.IntegerField(
        label=_("Days without a won deal"), min_value=1, required=False
    )
    warning_days = forms.IntegerField(
        label=_("Warn the owner days before"), min_value=0, initial=3, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _small(self)

    @property
    def class_label(self) -> str:
        value = self["relationship_class"].value()
        return str(dict(RelationshipClass.choices).get(value, value))


PoolRuleFormSet = forms.formset_factory(PoolRuleForm, extra=0)


class PoolCapForm(forms.Form):
    role = forms.ModelChoiceField(queryset=Role.objects.all(), widget=forms.HiddenInput)
    max_accounts = forms.IntegerField(label=_("Most accounts held"), min_value=0, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["max_accounts"].widget.attrs["placeholder"] = _("No cap")
        _small(self)


PoolCapFormSet = forms.formset_factory(PoolCapForm, extra=0)
