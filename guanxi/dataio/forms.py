"""Forms of the import wizard: choose a file, map its columns."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import Action

from .models import ImportBatch
from .registry import all_types, get_type


class UploadForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Import"))
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or GBK, as Excel saves it) or Excel .xlsx; the first row names the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the types the user may create are offered.
        self.fields["object_type"].choices = [
            (t.key, t.label_plural[:1].upper() + t.label_plural[1:])
            for t in all_types()
            if user.has_action(t.key, Action.CREATE)
        ]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)


class MappingForm(forms.Form):
    """One choice per column of the file: the field it fills, or nothing."""

    def __init__(self, batch: ImportBatch, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        data_type = get_type(batch.object_type)
        required = set(data_type.required_fields())
        choices = [("", _("— Do not import —"))] + [
            (f.name, data_type.field_label(f.name) + (" *" if f.name in required else ""))
            for f in data_type.fields
        ]
        self.help_rows = [
            (data_type.field_label(f.name), f.help_text) for f in data_type.fields if f.help_text
        ]
        self.columns = []
        for index, header in enumerate(batch.headers):
            name = f"col-{index}"
            self.fields[name] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=batch.mapping.get(str(index), ""),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            samples = [row[index] if index < len(row) else "" for row in batch.sample_rows[:3]]
            self.columns.append((index, header, samples, name))

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col-"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col-") and value
        }

    def rows(self) -> list[tuple[int, str, list[str], Any]]:
        return [
            (index, header, samples, self[name]) for index, header, samples, name in self.columns
        ]
