"""The campaign form: validates and hands data to the campaign services; never saves."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.core.generic import RecordForm

from .models import Campaign


class CampaignForm(RecordForm):
    fieldsets = (
        (_("Campaign"), ("name", "status", "owner", "start_date", "end_date")),
        (_("Cost"), ("cost", "currency")),
        (_("Description"), ("description",)),
    )

    class Meta:
        model = Campaign
        fields = ("name", "status", "start_date", "end_date", "cost", "currency", "description")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["cost"].help_text = _(
            "What the campaign costs in all; gives cost per lead and per win."
        )
        self.fields["description"].widget.attrs["rows"] = 4
