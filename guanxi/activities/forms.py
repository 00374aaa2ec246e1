"""Forms of the activity, calendar and telesales pages; they validate and never save."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guanxi.core.generic import RecordAutocompleteWidget, RecordForm
from guanxi.core.models import SavedView, User

from .models import TIMED_KINDS, Activity, CallList, CallOutcome
from .services import list_sources, related_models

RELATED_AUTOCOMPLETE = reverse_lazy("activities:related-autocomplete")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-time picker; values are in the user's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def local_datetime_field(label: Any, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, widget=LocalDateTimeInput(), input_formats=DATETIME_FORMATS, **kwargs
    )


def parse_related(value: str) -> tuple[str, int] | None:
    """``"lead:12"`` → ("lead", 12); anything else → None."""
    object_type, _sep, raw = (value or "").partition(":")
    if not raw.isdigit() or object_type not in related_models():
        return None
    return object_type, int(raw)


class RelatedRecordWidget(RecordAutocompleteWidget):
    """Picks an account, contact, lead or opportunity; the value is ``"type:id"``."""

    def __init__(self, user: Any = None) -> None:
        super().__init__(RELATED_AUTOCOMPLETE)
        self.user = user

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        label = ""
        if hasattr(value, "object_type"):  # a record
            value = f"{value.object_type()}:{value.pk}"
        parsed = parse_related(str(value or ""))
        if parsed and self.user is not None:
            model = related_models()[parsed[0]]
            record = model.objects.visible_to(self.user).filter(pk=parsed[1]).first()
            if record is not None:
                label = f"{model._meta.verbose_name.capitalize()}: {record}"
        context["widget"].update(value=value, label=label)
        return context


class RelatedRecordField(forms.CharField):
    """The record an activity is on, among those the user may see."""

    def __init__(self, *, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", RelatedRecordWidget(user))
        super().__init__(**kwargs)
        self.user = user

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if not value:
            return None
        parsed = parse_related(value)
        if parsed is None:
            raise forms.ValidationError(_("Pick a record from the list."))
        model = related_models()[parsed[0]]
        record = model.objects.visible_to(self.user).filter(pk=parsed[1]).first()
        if record is None:
            raise forms.ValidationError(_("Select an existing record you can see."))
        return record


REMINDER_CHOICES = [
    ("", _("No reminder")),
    ("0", _("At the time")),
    ("5", _("5 minutes before")),
    ("15", _("15 minutes before")),
    ("30", _("30 minutes before")),
    ("60", _("1 hour before")),
    ("1440", _("1 day before")),
]


class ActivityForm(RecordForm):
    """Plan or change a task, call, meeting or visit."""

    related = forms.CharField(label=_("On"), required=False)
    reminder_minutes = forms.ChoiceField(label=_("Reminder"), required=False, choices=())
    due_at = local_datetime_field(_("Due"), required=False)
    start_at = local_datetime_field(_("Starts"), required=False)
    end_at = local_datetime_field(_("Ends"), required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"), queryset=User.objects.none(), required=False
    )

    extra_fields = (*RecordForm.extra_fields, "related", "reminder_minutes")
    fieldsets = (
        (_("Activity"), ("kind", "subject", "related", "priority", "owner")),
        (
            _("When"),
            (
                "due_at",
                "start_at",
                "end_at",
                "all_day",
                "reminder_minutes",
                "location",
                "attendees",
            ),
        ),
        (_("Details"), ("description",)),
    )

    class Meta:
        model = Activity
        fields = (
            "kind",
            "subject",
            "priority",
            "due_at",
            "start_at",
            "end_at",
            "all_day",
            "location",
            "attendees",
            "description",
        )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["related"] = RelatedRecordField(
            user=user,
            label=_("On"),
            required=False,
            help_text=_("The account, contact, lead or opportunity it is about."),
        )
        self.fields["attendees"].queryset = User.objects.filter(
            is_active=True, kind=User.Kind.STAFF
        ).order_by("username")
        self.fields["attendees"].help_text = _("Meetings and visits: colleagues who take part.")
        self.fields["due_at"].help_text = _("Tasks and calls.")
        self.fields["start_at"].help_text = _("Meetings and visits.")
        choices = list(REMINDER_CHOICES)
        instance = self.instance
        if instance.pk:
            self.initial.setdefault(
                "related",
                f"{instance.related_type}:{instance.object_id}" if instance.object_id else "",
            )
            start = instance.start_at if instance.kind in TIMED_KINDS else instance.due_at
            if instance.reminder_at and start:
                minutes = int((start - instance.reminder_at).total_seconds() // 60)
                if str(minutes) not in {value for value, _label in choices}:
                    choices.append(
                        (
                            str(minutes),
                            ngettext("%(n)d minute before", "%(n)d minutes before", minutes)
                            % {"n": minutes},
                        )
                    )
                self.initial.setdefault("reminder_minutes", str(minutes))
        self.fields["reminder_minutes"].choices = choices
        self.fields["reminder_minutes"].widget.attrs["class"] = "form-select"
        self.fields["description"].widget.attrs["rows"] = 4
        self.order_fields(
            [
                "kind",
                "subject",
                "related",
                "priority",
                "owner",
                "due_at",
                "start_at",
                "end_at",
                "all_day",
                "reminder_minutes",
                "location",
                "attendees",
                "description",
            ]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("reminder_minutes") not in (None, ""):
            key = "start_at" if data.get("kind") in TIMED_KINDS else "due_at"
            if not data.get(key):
                self.add_error(
                    "reminder_minutes", _("A reminder before the activity needs its time.")
                )
        return data

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data["related"] = self.cleaned_data.get("related")
        minutes = self.cleaned_data.get("reminder_minutes")
        if minutes in (None, ""):
            data["reminder_at"] = None
        else:
            data["reminder_minutes"] = int(minutes)
        if data.get("kind") not in TIMED_KINDS:
            data["attendees"] = []
        return data


class CompleteForm(forms.Form):
    """Mark an activity done: how it went."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    outcome = forms.ModelChoiceField(
        label=_("Outcome"), queryset=CallOutcome.objects.none(), required=False
    )
    result = forms.CharField(
        label=_("What came of it"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].queryset = CallOutcome.objects.filter(is_active=True)
        self.fields["outcome"].widget.attrs["class"] = "form-select"
        self.fields["result"].widget.attrs["class"] = "form-control"


class CallListForm(RecordForm):
    """Build a call list from a saved view or a filter; on an edit, rename it or change the
    script (a built list keeps its entries)."""

    saved_view = forms.ModelChoiceField(
        label=_("From a saved view"), queryset=SavedView.objects.none(), required=False
    )
    fieldsets = (
        (_("Call list"), ("name", "owner")),
        (_("Who to call"), ("saved_view", "record_type", "query")),
        (_("Script"), ("script",)),
    )

    class Meta:
        model = CallList
        fields = ("name", "saved_view", "record_type", "query", "script")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk:
            for name in ("saved_view", "record_type", "query"):
                self.fields.pop(name, None)
        else:
            self.fields["saved_view"].queryset = (
                SavedView.objects.filter(object_type__in=list(list_sources()))
                .filter(Q(user=user) | Q(is_shared=True))
                .order_by("object_type", "name")
            )
            self.fields["saved_view"].help_text = _(
                "Its filter is used; or choose what to list and give a filter below."
            )
            self.fields["query"].widget = forms.TextInput(attrs={"class": "form-control"})
            self.fields["query"].widget.attrs["placeholder"] = "status=new&source=trade_show"
        self.fields["script"].widget.attrs["rows"] = 6

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        view = data.get("saved_view")
        if view is not None:
            data["record_type"] = view.object_type
        return data


class LogCallForm(forms.Form):
    """How a call on a list went, and when to call again."""

    outcome = forms.ModelChoiceField(
        label=_("Outcome"), queryset=CallOutcome.objects.none(), widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_call_at = local_datetime_field(_("Next call"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].queryset = CallOutcome.objects.filter(is_active=True)
        self.fields["notes"].widget.attrs["class"] = "form-control"
        self.fields["next_call_at"].widget.attrs["class"] = "form-control"
        tomorrow = timezone.localtime() + dt.timedelta(days=1)
        self.fields["next_call_at"].widget.attrs["placeholder"] = tomorrow.strftime(
            "%Y-%m-%dT%H:%M"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        outcome = data.get("outcome")
        if outcome is not None and outcome.schedules_callback and not data.get("next_call_at"):
            self.add_error("next_call_at", _("This outcome needs the time of the next call."))
        return data


class CallOutcomeForm(forms.ModelForm):
    """An administrator's outcome of calls."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CallOutcome
        fields = ("code", "label", "is_success", "schedules_callback", "order", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        for form_field in self.fields.values():
            widget = form_field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")

    def validate_unique(self) -> None:
        # the service saves and checks uniqueness; here only the fields are checked
        return None


class CallReportForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            form_field.widget.input_type = "date"
            form_field.widget.attrs["class"] = "form-control form-control-sm"

    def period(self) -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=6)
        if start > end:
            start, end = end, start
        return start, end
