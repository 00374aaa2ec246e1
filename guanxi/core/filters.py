"""Filter pieces shared by every object type's FilterSet."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Tag, Team, User
from .search import search_filter


class RecordFilterSet(django_filters.FilterSet):
    """Base FilterSet: ``q`` (the global search's matching), owner, team, tags and dates.

    The same FilterSet filters the UI list, the API list, exports and (later) segments.
    """

    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    # Filters on a column of the row itself cannot repeat a row, so they skip django-filter's
    # default DISTINCT: SELECT DISTINCT over every column has to read and sort every match
    # before it can return the first page (seconds at a million rows, see docs/performance.md).
    owner = django_filters.ModelMultipleChoiceFilter(
        label=_("Owner"), queryset=User.objects.filter(kind=User.Kind.STAFF), distinct=False
    )
    team = django_filters.ModelMultipleChoiceFilter(
        label=_("Team"), queryset=Team.objects.all(), distinct=False
    )
    created_after = django_filters.DateFilter(
        label=_("Created from"), field_name="created_at", lookup_expr="date__gte"
    )
    created_before = django_filters.DateFilter(
        label=_("Created to"), field_name="created_at", lookup_expr="date__lte"
    )

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value.strip():
            return queryset
        return search_filter(queryset, value)


class TaggedFilterSetMixin(django_filters.FilterSet):
    tag = django_filters.ModelMultipleChoiceFilter(
        label=_("Tag"), field_name="tags", queryset=Tag.objects.all(), distinct=True
    )


def choice_filter(choices: Any, label: Any) -> django_filters.MultipleChoiceFilter:
    """One or more values of a choice column (no DISTINCT: a column cannot repeat a row)."""
    return django_filters.MultipleChoiceFilter(choices=choices, label=label, distinct=False)
