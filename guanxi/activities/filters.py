"""FilterSets of activities and call lists, shared by the list pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.filters import RecordFilterSet, choice_filter

from .models import Activity, ActivityKind, ActivityStatus, CallList, CallOutcome, Priority


class ActivityFilterSet(RecordFilterSet):
    kind = choice_filter(ActivityKind.choices, _("Kind"))
    status = choice_filter(ActivityStatus.choices, _("Status"))
    priority = choice_filter(Priority.choices, _("Priority"))
    due_after = django_filters.IsoDateTimeFilter(
        label=_("Due from"), field_name="due_at", lookup_expr="gte"
    )
    due_before = django_filters.IsoDateTimeFilter(
        label=_("Due before"), field_name="due_at", lookup_expr="lt"
    )
    due_from = django_filters.DateFilter(label=_("Due on or after"), method="filter_due_from")
    due_to = django_filters.DateFilter(label=_("Due on or before"), method="filter_due_to")
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    object_type = django_filters.CharFilter(
        label=_("On records of type"), field_name="content_type__model"
    )
    object_id = django_filters.NumberFilter(label=_("On record id"), field_name="object_id")
    account = django_filters.NumberFilter(label=_("Account"), field_name="account_id")
    outcome = django_filters.ModelMultipleChoiceFilter(
        label=_("Outcome"), queryset=CallOutcome.objects.all(), distinct=False
    )
    attendee = django_filters.NumberFilter(label=_("Attendee"), method="filter_attendee")

    class Meta:
        model = Activity
        fields: list[str] = []

    # date filters read the day in the user's time zone (the one activated for the request)
    def filter_due_from(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(due_at__date__gte=value)

    def filter_due_to(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(due_at__date__lte=value)

    def filter_overdue(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        late = Q(status=ActivityStatus.OPEN, due_at__lt=timezone.now())
        if value is None:
            return queryset
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_attendee(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        through = Activity.attendees.through
        return queryset.filter(pk__in=through.objects.filter(user_id=value).values("activity_id"))


class CallListFilterSet(RecordFilterSet):
    record_type = choice_filter(CallList.ObjectType.choices, _("List of"))

    class Meta:
        model = CallList
        fields: list[str] = []
