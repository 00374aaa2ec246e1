"""The webhook form: a name, a target URL and the events, chosen from the known event names."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanxi.core import events
from guanxi.core.forms import VersionedForm

from .models import DeliveryStatus, WebhookSubscription, validate_target_url
from .services import clean_events


def type_label(object_type: str) -> str:
    """The plural name of an object type (``lead`` → Leads), else the type itself."""
    for model in apps.get_models():
        if model._meta.model_name == object_type:
            return str(model._meta.verbose_name_plural).capitalize()
    return object_type.replace("_", " ").capitalize()


def event_choices() -> list[tuple[str, str]]:
    """``*``, then per object type ``<type>.*`` and each of its known events."""
    by_type: OrderedDict[str, list[str]] = OrderedDict()
    for name in events.event_names():
        by_type.setdefault(name.split(".", 1)[0], []).append(name)
    choices: list[tuple[str, str]] = [("*", str(_("Every event")))]
    for object_type, names in by_type.items():
        choices.append((f"{object_type}.*", str(_("Every event of this type"))))
        choices.extend((name, name) for name in names)
    return choices


class WebhookForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    target_url = forms.CharField(
        label=_("Target URL"),
        max_length=500,
        validators=[validate_target_url],
        help_text=_("Guanxi POSTs each event here as signed JSON (http:// or https:// only)."),
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/guanxi"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_events = forms.CharField(
        label=_("Other events or patterns"),
        required=False,
        max_length=1000,
        help_text=_('Separated by commas or spaces, e.g. "invoice.*" for events added later.'),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = event_choices()

    def choice_display(self, name: str, value: Any) -> str:
        if isinstance(value, (list, tuple)):  # the chosen events
            return ", ".join(sorted(str(v) for v in value)) or "—"
        return super().choice_display(name, value)

    @classmethod
    def initial_for(cls, subscription: WebhookSubscription) -> dict[str, Any]:
        known = {value for value, _label in event_choices()}
        chosen = list(subscription.events or [])
        return {
            "name": subscription.name,
            "target_url": subscription.target_url,
            "events": [e for e in chosen if e in known],
            "other_events": " ".join(e for e in chosen if e not in known),
            "is_active": subscription.is_active,
            "version": subscription.version,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        other = [p for p in re.split(r"[\s,，]+", cleaned.get("other_events") or "") if p]
        try:
            cleaned["all_events"] = clean_events([*cleaned.get("events", []), *other])
        except ValidationError as exc:
            field = "other_events" if other else "events"
            for message in exc.message_dict.get("events", exc.messages):
                self.add_error(field, message)
        return cleaned

    def subscription_data(self) -> dict[str, Any]:
        return {
            "name": self.cleaned_data["name"],
            "target_url": self.cleaned_data["target_url"],
            "events": self.cleaned_data["all_events"],
            "is_active": self.cleaned_data["is_active"],
        }

    def event_groups(self) -> list[tuple[str, list[Any]]]:
        """The event checkboxes grouped by object type, for the template."""
        groups: OrderedDict[str, list[Any]] = OrderedDict()
        for option in self["events"]:
            value = option.data["value"]
            group = "" if value == "*" else value.split(".", 1)[0]
            groups.setdefault(group, []).append(option)
        return [(type_label(group) if group else "", options) for group, options in groups.items()]


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *DeliveryStatus.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    event = forms.CharField(
        label=_("Event"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("Event")}
        ),
    )
