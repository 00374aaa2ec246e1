"""The campaign FilterSet, shared by the list page and the API list."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from guanxi.core.filters import RecordFilterSet, choice_filter

from .models import Campaign


class CampaignFilterSet(RecordFilterSet):
    status = choice_filter(Campaign.Status.choices, _("Status"))
    starts_after = django_filters.DateFilter(
        label=_("Starts from"), field_name="start_date", lookup_expr="gte"
    )
    starts_before = django_filters.DateFilter(
        label=_("Starts by"), field_name="start_date", lookup_expr="lte"
    )

    class Meta:
        model = Campaign
        fields: list[str] = []
