"""Forms of the nurturing pages: a sequence with its ordered steps, and enrolling leads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import StyledFormMixin, VersionedForm

from .models import Sequence, SequenceStep


class SequenceForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("An inactive sequence takes no new leads and pauses those in it."),
    )

    @classmethod
    def initial_for(cls, sequence: Sequence) -> dict[str, Any]:
        return {"name": sequence.name, "is_active": sequence.is_active, "version": sequence.version}

    def sequence_data(self) -> dict[str, Any]:
        return {"name": self.cleaned_data["name"], "is_active": self.cleaned_data["is_active"]}


class StepForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Step"), choices=SequenceStep.Kind.choices)
    wait_days = forms.IntegerField(
        label=_("Days after the previous step"), min_value=0, max_value=365, initial=0
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def is_blank(self) -> bool:
        """A row left as offered (an email with no subject and no text) is not a step."""
        data = getattr(self, "cleaned_data", {})
        return data.get("kind") != SequenceStep.Kind.WAIT and not (
            data.get("subject") or data.get("body")
        )


class BaseStepFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: Any) -> None:
        super().add_fields(form, index)
        # the order and remove fields come after the form styled its own widgets
        if "ORDER" in form.fields:
            form.fields["ORDER"].widget.attrs["class"] = "form-control"
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=1, can_order=True, can_delete=True
)


def step_initial(sequence: Sequence) -> list[dict[str, Any]]:
    return [
        {"kind": s.kind, "wait_days": s.wait_days, "subject": s.subject, "body": s.body}
        for s in sequence.steps.order_by("order", "pk")
    ]


def steps_from(formset: Any) -> list[dict[str, Any]]:
    """The steps a valid formset describes, in the chosen order, without deleted or blank
    rows."""
    steps = []
    for form in formset.ordered_forms:
        if form.is_blank():
            continue
        data = form.cleaned_data
        steps.append({key: data.get(key) for key in ("kind", "wait_days", "subject", "body")})
    return steps


def active_sequences() -> Any:
    return Sequence.objects.filter(is_active=True, steps__isnull=False).distinct().order_by("name")


class EnrollForm(forms.Form):
    """Enrol one lead (the lead page) or many (the list's bulk action) in a sequence."""

    # several bulk actions share one <form>: a required field must not block the others
    use_required_attribute = False

    sequence = forms.ModelChoiceField(
        label=_("Sequence"),
        queryset=Sequence.objects.none(),
        empty_label=_("Nurturing sequence…"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sequence"].queryset = active_sequences()
        self.fields["sequence"].widget.attrs["class"] = "form-select form-select-sm"


class BulkEnrollForm(EnrollForm):
    """The bulk action's form, built as ``form_class(user, services, data, prefix=…)``."""

    def __init__(self, user: Any, services: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
