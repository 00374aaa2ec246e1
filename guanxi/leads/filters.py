"""The lead FilterSet, shared by the list page, the API list and exports."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _

from guanxi.core.filters import RecordFilterSet, TaggedFilterSetMixin, choice_filter
from guanxi.customers.models import Industry
from guanxi.marketing.models import Campaign

from .models import DecisionTimeline, Lead, LeadSource, LeadStatus


def visible_campaigns(request: Any) -> Any:
    """Campaigns the user may see (all of them where no request says who: exports check rows)."""
    user = getattr(request, "user", None)
    if user is None:
        return Campaign.objects.all()
    return Campaign.objects.visible_to(user).order_by("name")


class LeadFilterSet(TaggedFilterSetMixin, RecordFilterSet):
    status = choice_filter(LeadStatus.choices, _("Status"))
    source = choice_filter(LeadSource.choices, _("Source"))
    campaign = django_filters.ModelMultipleChoiceFilter(
        label=_("Campaign"), queryset=visible_campaigns, distinct=False
    )
    score_min = django_filters.NumberFilter(
        label=_("Score at least"), field_name="score", lookup_expr="gte"
    )
    score_max = django_filters.NumberFilter(
        label=_("Score at most"), field_name="score", lookup_expr="lte"
    )
    industry = choice_filter(Industry.choices, _("Industry"))
    decision_timeline = choice_filter(DecisionTimeline.choices, _("Decision timeline"))
    province = django_filters.CharFilter(label=_("Province"), lookup_expr="iexact")
    city = django_filters.CharFilter(label=_("City"), lookup_expr="iexact")
    unassigned = django_filters.BooleanFilter(
        label=_("Without an owner"), field_name="owner", lookup_expr="isnull"
    )
    not_contacted = django_filters.BooleanFilter(
        label=_("Not contacted yet"), field_name="first_contacted_at", lookup_expr="isnull"
    )
    web_form = django_filters.NumberFilter(label=_("Web form"), field_name="web_form_id")

    class Meta:
        model = Lead
        fields: list[str] = []
