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
    owner = django_filters.ModelMultipleChoiceFilter(
        label=_("Owner"), queryset=User.objects.filter(kind=User.Kind.STAFF)
    )
    team = django_filters.ModelMultipleChoiceFilter(label=_("Team"), queryset=Team.objects.all())
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
    return django_filters.MultipleChoiceFilter(choices=choices, label=label)
