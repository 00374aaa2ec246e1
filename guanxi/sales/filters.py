"""FilterSets for opportunities and objections, shared by the UI lists, the board and the API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.filters import RecordFilterSet, TaggedFilterSetMixin, choice_filter
from guanxi.customers.filters import AccountFilterSet
from guanxi.customers.models import Account

from .models import (
    CURRENCIES,
    ForecastCategory,
    Objection,
    ObjectionType,
    Opportunity,
    Pipeline,
    Stage,
    StageKind,
)


class OpportunityFilterSet(TaggedFilterSetMixin, RecordFilterSet):
    pipeline = django_filters.ModelChoiceFilter(
        label=_("Pipeline"), queryset=Pipeline.objects.all(), distinct=False
    )
    stage = django_filters.ModelMultipleChoiceFilter(
        label=_("Stage"),
        queryset=Stage.objects.select_related("pipeline").order_by("pipeline", "order"),
        distinct=False,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=StageKind.choices,
        field_name="stage__kind",
        distinct=False,
    )
    account = django_filters.NumberFilter(label=_("Account"), field_name="account_id")
    forecast_category = choice_filter(ForecastCategory.choices, _("Forecast category"))
    currency = choice_filter(CURRENCIES, _("Currency"))
    amount_min = django_filters.NumberFilter(
        label=_("Amount from"), field_name="amount", lookup_expr="gte"
    )
    amount_max = django_filters.NumberFilter(
        label=_("Amount to"), field_name="amount", lookup_expr="lte"
    )
    close_after = django_filters.DateFilter(
        label=_("Expected close from"), field_name="expected_close_date", lookup_expr="gte"
    )
    close_before = django_filters.DateFilter(
        label=_("Expected close to"), field_name="expected_close_date", lookup_expr="lte"
    )

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # Stage names repeat across pipelines: say which pipeline each one is in.
        self.filters["stage"].field.label_from_instance = lambda s: f"{s.pipeline} · {s}"


class ObjectionFilterSet(RecordFilterSet):
    opportunity = django_filters.NumberFilter(label=_("Opportunity"), field_name="opportunity_id")
    account = django_filters.NumberFilter(label=_("Account"), field_name="opportunity__account_id")
    type = choice_filter(ObjectionType.choices, _("Type"))
    resolved = django_filters.BooleanFilter(label=_("Resolved"))
    raised_after = django_filters.DateFilter(
        label=_("Raised from"), field_name="raised_at", lookup_expr="date__gte"
    )
    raised_before = django_filters.DateFilter(
        label=_("Raised to"), field_name="raised_at", lookup_expr="date__lte"
    )

    class Meta:
        model = Objection
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Objections have no name to search by pinyin: match the text instead.
        if not value.strip():
            return queryset
        return queryset.filter(description__icontains=value.strip())


class PoolFilterSet(AccountFilterSet):
    """The pool page's filters: the accounts' own, without owner and team (there is none)."""

    owner = None
    team = None
    pooled_before = django_filters.DateFilter(
        label=_("In the pool since before"), field_name="pooled_at", lookup_expr="date__lte"
    )

    class Meta:
        model = Account
        fields: list[str] = []
