"""Forms of the customer pages. They validate and hand data to services; they never save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from guanxi.core.generic import RecordForm, TagsField, VisibleRecordChoiceField
from guanxi.core.models import Note

from .models import (
    ALLOWED_TRANSITIONS,
    CONSENT_CHANNELS,
    Account,
    ConsentRecord,
    ConsentStatus,
    Contact,
    RelationshipClass,
)

ACCOUNT_AUTOCOMPLETE = reverse_lazy("customers:account-autocomplete")


class AccountForm(RecordForm):
    """Create or edit an account. On an edit the relationship class moves only through the
    "Move to…" control, which follows the customer flow model."""

    tags = TagsField()
    website = forms.URLField(
        label=capfirst(Account._meta.get_field("website").verbose_name),
        required=False,
        max_length=200,
        assume_scheme="https",
    )

    fieldsets = (
        (_("Customer"), ("name", "kind", "industry", "parent", "owner", "tags", "new_tags")),
        (
            _("Classification"),
            (
                "relationship_class",
                "source_class",
                "region_class",
                "settlement",
                "receivables_class",
                "profitability",
                "profit_contribution",
                "rating",
            ),
        ),
        (_("Identification and contact"), ("tax_number", "phone", "email", "website")),
        (
            _("Address"),
            ("country", "province", "city", "district", "street", "postal_code"),
        ),
        (_("Notes"), ("description",)),
    )

    class Meta:
        model = Account
        fields = (
            "name",
            "kind",
            "industry",
            "relationship_class",
            "source_class",
            "region_class",
            "settlement",
            "receivables_class",
            "profitability",
            "profit_contribution",
            "tax_number",
            "phone",
            "email",
            "website",
            "country",
            "province",
            "city",
            "district",
            "street",
            "postal_code",
            "parent",
            "tags",
            "rating",
            "description",
        )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk is not None:
            self.fields.pop("relationship_class", None)
        parent = self.fields["parent"]
        queryset = Account.objects.visible_to(user)
        if self.instance.pk is not None:
            queryset = queryset.exclude(pk=self.instance.pk)
        self.fields["parent"] = VisibleRecordChoiceField(
            queryset,
            ACCOUNT_AUTOCOMPLETE,
            required=False,
            label=parent.label,
            help_text=_("The group company this account belongs to."),
        )
        self.fields["rating"].widget.attrs.update({"min": 1, "max": 5})
        self.fields["description"].widget.attrs["rows"] = 4
        self.fields["tax_number"].widget.attrs.update(
            {"maxlength": 18, "autocapitalize": "characters", "spellcheck": "false"}
        )


class ContactForm(RecordForm):
    tags = TagsField()

    fieldsets = (
        (_("Person"), ("name", "account", "title", "department", "buying_role", "owner")),
        (
            _("How to reach them"),
            ("mobile", "phone", "email", "wechat_id", "preferred_channel"),
        ),
        (_("Other"), ("birthday", "tags", "new_tags", "description")),
    )

    class Meta:
        model = Contact
        fields = (
            "name",
            "account",
            "title",
            "department",
            "buying_role",
            "mobile",
            "phone",
            "email",
            "wechat_id",
            "birthday",
            "preferred_channel",
            "tags",
            "description",
        )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        account = self.fields["account"]
        self.fields["account"] = VisibleRecordChoiceField(
            Account.objects.visible_to(user),
            ACCOUNT_AUTOCOMPLETE,
            required=False,
            label=account.label,
        )
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["mobile"].help_text = _("Mainland China mobile, 11 digits.")
        self.fields["description"].widget.attrs["rows"] = 4


# --------------------------------------------------------------------------------------------
# detail page forms
# --------------------------------------------------------------------------------------------


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-time picker; values are in the user's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class NoteForm(forms.Form):
    """Log a note or an interaction (call, visit, meeting, email, message)."""

    field_order = (
        "about",
        "kind",
        "direction",
        "occurred_at",
        "subject",
        "duration_minutes",
        "body",
    )

    about = forms.TypedChoiceField(label=_("About"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=Note.Kind.choices, initial=Note.Kind.CALL)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Note.Direction.choices, required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, max_value=24 * 60, required=False
    )

    def __init__(self, *args: Any, contacts: list[Contact] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        if contacts:
            self.fields["about"].choices = [
                ("", _("The account")),
                *((c.pk, c.name) for c in contacts),
            ]
        else:
            self.fields.pop("about")
        for form_field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(form_field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            form_field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("subject") or data.get("body")):
            raise forms.ValidationError(_("Write a subject or a text."))
        return data

    def note_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "about"}
        data["direction"] = data.get("direction") or ""
        return data


class MoveClassForm(forms.Form):
    """Move an account along the customer flow model: only the allowed next classes."""

    to_class = forms.ChoiceField(label=_("Move to"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = ALLOWED_TRANSITIONS.get(account.relationship_class, frozenset())
        self.fields["to_class"].choices = [("", _("Choose…"))] + [
            (value, label) for value, label in RelationshipClass.choices if value in allowed
        ]
        self.fields["version"].initial = account.version
        self.fields["to_class"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["reason"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": _("Reason (optional)")}
        )


class ConsentForm(forms.Form):
    """Record that a contact granted or withdrew consent on one channel, and how."""

    channel = forms.ChoiceField(label=_("Channel"))
    status = forms.ChoiceField(
        label=_("Consent"),
        choices=[
            (ConsentStatus.GRANTED, ConsentStatus.GRANTED.label),
            (ConsentStatus.WITHDRAWN, ConsentStatus.WITHDRAWN.label),
        ],
    )
    method = forms.ChoiceField(label=_("How"), choices=ConsentRecord.Method.choices)
    at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Leave empty for now."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Contact._meta.get_field("preferred_channel").choices)
        self.fields["channel"].choices = [(c, labels[c]) for c in CONSENT_CHANNELS]
        for form_field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(form_field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            form_field.widget.attrs.setdefault("class", css)


class FlowPeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end comes before the start."))
        return data
