"""Forms of the lead pages and of their administration. They validate and hand data to
services; they never save. Protected fields (owner, score, status stamps …) are never in them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import StyledFormMixin, TeamChoiceField
from guanxi.core.generic import RecordForm, TagsField, VisibleRecordChoiceField, assignable_owners
from guanxi.core.models import Team
from guanxi.customers.forms import LocalDateTimeInput
from guanxi.customers.models import Account
from guanxi.marketing.models import CURRENCIES, Campaign

from .models import (
    AssignmentRule,
    BehaviourKind,
    Lead,
    LeadScoringRule,
    LeadStatus,
    RepAvailability,
    WebForm,
)
from .rules import PUBLIC_FIELDS

ACCOUNT_AUTOCOMPLETE = reverse_lazy("customers:account-autocomplete")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _small(form: forms.Form) -> None:
    for form_field in form.fields.values():
        widget = form_field.widget
        if isinstance(widget, (forms.HiddenInput, forms.RadioSelect, forms.CheckboxInput)):
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            continue
        css = (
            "form-select form-select-sm"
            if isinstance(widget, forms.Select)
            else ("form-control form-control-sm")
        )
        widget.attrs.setdefault("class", css)


# --------------------------------------------------------------------------------------------
# the lead record
# --------------------------------------------------------------------------------------------


class LeadForm(RecordForm):
    """Create or edit a lead. On a new lead the assignment rules may pick the owner."""

    tags = TagsField()
    assign_by_rules = forms.BooleanField(
        label=_("Let the assignment rules choose the owner"),
        required=False,
        help_text=_("When no rule matches, the lead stays with the owner above (or you)."),
    )
    extra_fields = (*RecordForm.extra_fields, "assign_by_rules")

    fieldsets = (
        (
            _("Person"),
            ("person_name", "company", "title", "owner", "assign_by_rules", "tags", "new_tags"),
        ),
        (_("How to reach them"), ("mobile", "phone", "email", "opted_out")),
        (_("Where from"), ("source", "campaign", "industry", "province", "city")),
        (
            _("What they need"),
            ("product_interest", "budget", "currency", "need", "decision_timeline"),
        ),
        (_("Status"), ("status", "disqualify_reason")),
        (_("Notes"), ("notes",)),
    )

    class Meta:
        model = Lead
        fields = (
            "person_name",
            "company",
            "title",
            "mobile",
            "phone",
            "email",
            "opted_out",
            "source",
            "campaign",
            "industry",
            "province",
            "city",
            "product_interest",
            "budget",
            "currency",
            "need",
            "decision_timeline",
            "status",
            "disqualify_reason",
            "notes",
            "tags",
        )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        campaign = self.fields["campaign"]
        campaign.queryset = Campaign.objects.visible_to(user).order_by("name")
        if self.instance.pk is None:
            # a new lead starts new; its status then moves by actions and the score
            for name in ("status", "disqualify_reason", "opted_out"):
                self.fields.pop(name, None)
            from .models import AssignmentRule

            self.fields["assign_by_rules"].initial = AssignmentRule.objects.filter(
                is_active=True
            ).exists()
        else:
            self.fields.pop("assign_by_rules")
            self.fields["status"].choices = [
                (value, label) for value, label in LeadStatus.choices if value != "converted"
            ]
            if self.instance.status == LeadStatus.CONVERTED:
                self.fields.pop("status")
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["mobile"].help_text = _("Mainland China mobile, 11 digits.")
        self.fields["email"].widget.attrs.update({"inputmode": "email", "autocomplete": "email"})
        self.fields["need"].widget.attrs["rows"] = 3
        self.fields["notes"].widget.attrs["rows"] = 4

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("status") == LeadStatus.DISQUALIFIED and not data.get("disqualify_reason"):
            self.add_error("disqualify_reason", _("Say why the lead is disqualified."))
        return data


# --------------------------------------------------------------------------------------------
# actions on one lead
# --------------------------------------------------------------------------------------------


class DisqualifyForm(forms.Form):
    reason = forms.CharField(label=_("Why is the lead disqualified?"), max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["placeholder"] = _("No budget, a competitor, a student…")
        _small(self)


class ReassignForm(forms.Form):
    """Give the lead to a named rep (within the user's rights), or run the rules again."""

    RULES = "rules"
    how = forms.ChoiceField(
        label=_("How"),
        choices=[("owner", _("To this person")), (RULES, _("Back through the assignment rules"))],
        widget=forms.RadioSelect,
        initial="owner",
    )
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=None, required=False)

    def __init__(self, *args: Any, user: Any, lead: Lead, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = assignable_owners(user, "lead")
        if lead.owner_id:
            owners = owners.exclude(pk=lead.owner_id)
        self.fields["owner"].queryset = owners.select_related("team").order_by("username")
        self.fields["owner"].empty_label = _("Choose…")
        # a rep may only keep a lead or send it back through the rules
        self.can_name_owner = owners.exists()
        if not self.can_name_owner:
            self.fields["how"].choices = [(self.RULES, _("Back through the assignment rules"))]
            self.fields["how"].initial = self.RULES
        _small(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("how") == "owner" and not data.get("owner"):
            self.add_error("owner", _("Choose who takes the lead."))
        return data


class BehaviourForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the lead did"), choices=BehaviourKind.choices)
    detail = forms.CharField(label=_("Detail"), max_length=200, required=False)
    at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=DATETIME_FORMATS,
        help_text=_("Leave empty for now."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _small(self)

    def clean_at(self) -> Any:
        at = self.cleaned_data.get("at")
        if at and at > timezone.now():
            raise forms.ValidationError(_("This is in the future."))
        return at


class ConvertForm(forms.Form):
    """What a lead becomes: which account (the match, another, or a new one) and the deal."""

    MATCH, OTHER, NEW = "match", "other", "new"

    account_choice = forms.ChoiceField(label=_("Account"), widget=forms.RadioSelect)
    account = VisibleRecordChoiceField(
        Account.objects.none(),
        ACCOUNT_AUTOCOMPLETE,
        required=False,
        label=_("Another account"),
    )
    create_opportunity = forms.BooleanField(
        label=_("Create an opportunity"), required=False, initial=True
    )
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=18, decimal_places=2, min_value=0, required=False
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    expected_close_date = forms.DateField(
        label=_("Expected close"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=None, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, user: Any, lead: Lead, match: Account | None, **kwargs: Any
    ) -> None:
        from guanxi.sales.models import Pipeline

        super().__init__(*args, **kwargs)
        choices = []
        if match is not None:
            choices.append((self.MATCH, _("Link to the matching account “%s”") % match.name))
        choices += [
            (self.OTHER, _("Link to another account")),
            (self.NEW, _("Create a new account")),
        ]
        self.fields["account_choice"].choices = choices
        self.fields["account_choice"].initial = self.MATCH if match is not None else self.NEW
        self.fields["account"].queryset = Account.objects.visible_to(user)
        pipelines = Pipeline.objects.filter(is_active=True)
        self.fields["pipeline"].queryset = pipelines
        self.fields["pipeline"].initial = Pipeline.default()
        self.fields["pipeline"].empty_label = None
        self.fields["opportunity_name"].initial = lead.product_interest or str(lead)
        self.fields["amount"].initial = lead.budget
        self.fields["currency"].initial = lead.currency
        self.fields["version"].initial = lead.version
        self.match = match
        for form_field in self.fields.values():
            widget = form_field.widget
            if isinstance(widget, (forms.HiddenInput, forms.RadioSelect)) or hasattr(widget, "url"):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        choice = data.get("account_choice")
        if choice == self.OTHER and not data.get("account"):
            self.add_error("account", _("Pick the account to link to."))
        if choice == self.MATCH and self.match is None:
            self.add_error("account_choice", _("There is no matching account any more."))
        if data.get("create_opportunity") and not (data.get("opportunity_name") or "").strip():
            self.add_error("opportunity_name", _("Name the opportunity."))
        return data

    def chosen_account(self) -> tuple[Account | None, bool]:
        """(account to link to or None, whether to create a new one)."""
        choice = self.cleaned_data["account_choice"]
        if choice == self.MATCH:
            return self.match, False
        if choice == self.OTHER:
            return self.cleaned_data["account"], False
        return None, True

    def opportunity_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        payload: dict[str, Any] = {
            "name": data["opportunity_name"].strip(),
            "amount": data.get("amount") or 0,
            "currency": data["currency"],
        }
        if data.get("expected_close_date"):
            payload["expected_close_date"] = data["expected_close_date"]
        if data.get("pipeline"):
            payload["pipeline"] = data["pipeline"]
        return payload


# --------------------------------------------------------------------------------------------
# administration
# --------------------------------------------------------------------------------------------


class VersionedModelForm(StyledFormMixin, forms.ModelForm):
    """An administration form on a versioned object: validated by the model, saved by a
    service (never by the form), with the version it was loaded at."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.fields["version"].initial = self.instance.version

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ScoringRuleForm(VersionedModelForm):
    class Meta:
        model = LeadScoringRule
        fields = (
            "name",
            "kind",
            "field",
            "operator",
            "value",
            "behaviour",
            "points",
            "max_times",
            "is_active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {name: Lead._meta.get_field(name).verbose_name for name in self.field_names()}
        self.fields["field"].choices = [("", "—")] + [
            (name, str(label).capitalize()) for name, label in labels.items()
        ]
        self.fields["points"].help_text = _("Negative points take points away.")
        self.fields["value"].help_text = _(
            "Compared without case; for “is one of”, comma-separated; for a campaign, its id."
        )

    @staticmethod
    def field_names() -> list[str]:
        from .models import SCORABLE_FIELDS

        return list(SCORABLE_FIELDS)


class ThresholdForm(StyledFormMixin, forms.Form):
    qualify_threshold = forms.IntegerField(
        label=_("Qualification threshold"),
        help_text=_("A lead with at least this score is marked qualified."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AssignmentRuleForm(VersionedModelForm):
    team = TeamChoiceField(label=_("Team"), queryset=Team.objects.order_by("path"))

    class Meta:
        model = AssignmentRule
        fields = (
            "name",
            "order",
            "is_active",
            "provinces",
            "industries",
            "sources",
            "product_keywords",
            "team",
            "method",
            "contact_within_hours",
            "on_timeout",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from guanxi.customers.models import Industry

        from .models import LeadSource

        super().__init__(*args, **kwargs)
        self.fields["sources"].help_text = _("Codes: %s. Empty: any source.") % ", ".join(
            LeadSource.values
        )
        self.fields["industries"].help_text = _("Codes: %s. Empty: any industry.") % ", ".join(
            Industry.values
        )
        self.fields["provinces"].help_text = _("For example 四川,重庆. Empty: anywhere.")
        self.fields["product_keywords"].help_text = _(
            "Words in the product interest. Empty: any product."
        )
        self.fields["order"].required = False
        self.fields["order"].help_text = _("Rules are tried from the lowest number; empty: last.")
        self.fields["contact_within_hours"].help_text = _(
            "Empty: a lead that is not contacted never escalates."
        )


class AvailabilityForm(VersionedModelForm):
    absent_from = forms.DateTimeField(
        label=_("Absent from"),
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=DATETIME_FORMATS,
    )
    absent_until = forms.DateTimeField(
        label=_("Absent until"),
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=DATETIME_FORMATS,
        help_text=_("Empty: until further notice."),
    )

    class Meta:
        model = RepAvailability
        fields = ("max_open_leads", "absent_from", "absent_until", "accepts_leads")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["max_open_leads"].help_text = _("Empty: no limit.")


class WebFormForm(VersionedModelForm):
    # not called "fields": that name is the form's own dict of fields
    shown_fields = forms.MultipleChoiceField(
        label=_("Fields shown"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The name is always asked."),
    )
    redirect_url = forms.URLField(
        label=_("Redirect after submit"), required=False, max_length=200, assume_scheme="https"
    )

    class Meta:
        model = WebForm
        fields = (
            "name",
            "source",
            "campaign",
            "thank_you_message",
            "redirect_url",
            "is_active",
        )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from .rules import DEFAULT_WEB_FORM_FIELDS

        super().__init__(*args, **kwargs)
        self.order_fields(["name", "source", "campaign", "shown_fields"])
        self.fields["shown_fields"].choices = [
            (name, str(Lead._meta.get_field(name).verbose_name).capitalize())
            for name in PUBLIC_FIELDS
        ]
        if not self.is_bound:
            self.fields["shown_fields"].initial = (
                self.instance.fields if self.instance.pk is not None else DEFAULT_WEB_FORM_FIELDS
            )
        self.fields["campaign"].queryset = Campaign.objects.visible_to(user).order_by("name")
        self.fields["thank_you_message"].widget.attrs["rows"] = 3
        self.fields["thank_you_message"].help_text = _(
            "Shown after a submit; empty: a standard thank-you."
        )
        self.fields["redirect_url"].help_text = _(
            "Optional: send people to this page of your site after a submit, instead of the "
            "thank-you message."
        )

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data["fields"] = list(data.pop("shown_fields") or [])
        return data
