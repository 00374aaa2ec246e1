"""FilterSets for accounts and contacts, shared by the UI, the API and exports."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from guanxi.core.filters import RecordFilterSet, TaggedFilterSetMixin, choice_filter

from .models import (
    Account,
    AccountKind,
    BuyingRole,
    Channel,
    ConsentStatus,
    Contact,
    Industry,
    Profitability,
    ProfitContribution,
    ReceivablesClass,
    RegionClass,
    RelationshipClass,
    Settlement,
    SourceClass,
)


class AccountFilterSet(TaggedFilterSetMixin, RecordFilterSet):
    kind = choice_filter(AccountKind.choices, _("Kind"))
    industry = choice_filter(Industry.choices, _("Industry"))
    relationship_class = choice_filter(RelationshipClass.choices, _("Relationship"))
    source_class = choice_filter(SourceClass.choices, _("Source"))
    region_class = choice_filter(RegionClass.choices, _("Region"))
    settlement = choice_filter(Settlement.choices, _("Settlement"))
    receivables_class = choice_filter(ReceivablesClass.choices, _("Receivables"))
    profitability = choice_filter(Profitability.choices, _("Profitability"))
    profit_contribution = choice_filter(ProfitContribution.choices, _("Profit contribution"))
    province = django_filters.CharFilter(label=_("Province"), lookup_expr="iexact")
    city = django_filters.CharFilter(label=_("City"), lookup_expr="iexact")
    rating = django_filters.NumberFilter(label=_("Rating at least"), lookup_expr="gte")
    last_activity_after = django_filters.DateFilter(
        label=_("Last activity from"), field_name="last_activity_at", lookup_expr="date__gte"
    )
    last_activity_before = django_filters.DateFilter(
        label=_("Last activity to"), field_name="last_activity_at", lookup_expr="date__lte"
    )
    no_activity_since = django_filters.DateFilter(
        label=_("No activity since"), method="filter_no_activity_since"
    )

    class Meta:
        model = Account
        fields: list[str] = []

    def filter_no_activity_since(self, queryset, name, value):  # type: ignore[no-untyped-def]
        from django.db.models import Q

        return queryset.filter(
            Q(last_activity_at__date__lt=value) | Q(last_activity_at__isnull=True)
        )


class ContactFilterSet(TaggedFilterSetMixin, RecordFilterSet):
    account = django_filters.NumberFilter(label=_("Account"), field_name="account_id")
    buying_role = choice_filter(BuyingRole.choices, _("Buying role"))
    preferred_channel = choice_filter(Channel.choices, _("Preferred channel"))
    # The account's classifications and place, so contacts can be listed by their customer.
    # (A contact has one account: no DISTINCT needed, and it would slow every page.)
    relationship_class = django_filters.MultipleChoiceFilter(
        label=_("Account relationship"),
        field_name="account__relationship_class",
        choices=RelationshipClass.choices,
        distinct=False,
    )
    profit_contribution = django_filters.MultipleChoiceFilter(
        label=_("Account profit contribution"),
        field_name="account__profit_contribution",
        choices=ProfitContribution.choices,
        distinct=False,
    )
    region_class = django_filters.MultipleChoiceFilter(
        label=_("Account region"),
        field_name="account__region_class",
        choices=RegionClass.choices,
        distinct=False,
    )
    province = django_filters.CharFilter(
        label=_("Province"), field_name="account__province", lookup_expr="iexact"
    )
    city = django_filters.CharFilter(
        label=_("City"), field_name="account__city", lookup_expr="iexact"
    )
    consent_email = django_filters.ChoiceFilter(
        label=_("Email consent"), choices=ConsentStatus.choices[1:], field_name="consent_email"
    )
    consent_phone = django_filters.ChoiceFilter(
        label=_("Phone consent"), choices=ConsentStatus.choices[1:], field_name="consent_phone"
    )
    consent_sms = django_filters.ChoiceFilter(
        label=_("SMS consent"), choices=ConsentStatus.choices[1:], field_name="consent_sms"
    )
    has_email_consent = django_filters.BooleanFilter(
        label=_("Email consent granted"), method="filter_email_consent"
    )
    last_activity_after = django_filters.DateFilter(
        label=_("Last activity from"), field_name="last_activity_at", lookup_expr="date__gte"
    )
    last_activity_before = django_filters.DateFilter(
        label=_("Last activity to"), field_name="last_activity_at", lookup_expr="date__lte"
    )

    class Meta:
        model = Contact
        fields: list[str] = []

    def filter_email_consent(self, queryset, name, value):  # type: ignore[no-untyped-def]
        if value is None:
            return queryset
        if value:
            return queryset.filter(consent_email="granted")
        return queryset.exclude(consent_email="granted")
