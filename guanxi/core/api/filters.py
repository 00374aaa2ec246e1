"""FilterSets of the core API lists (timeline entries and users)."""

from __future__ import annotations

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import Note, Record, Team, User, timeline_models


def timeline_q(model: type[Record], pk: int) -> Q:
    """Entries on one record and on the records that hang on it (an account's contacts).

    The children are the relations the record takes along to the recycle bin, so a new
    object type declares them once (``soft_delete_children``) for both.
    """
    q = Q(content_type=ContentType.objects.get_for_model(model), object_id=pk)
    timeline = set(timeline_models())
    for name in model.soft_delete_children:
        relation = model._meta.get_field(name)
        child = relation.related_model
        if child in timeline:
            q |= Q(
                content_type=ContentType.objects.get_for_model(child),
                object_id__in=child.objects.filter(**{relation.field.name: pk}).values("pk"),
            )
    return q


def _timeline_model(object_type: str) -> type[Record] | None:
    return next((m for m in timeline_models() if m.object_type() == object_type), None)


class NoteFilterSet(django_filters.FilterSet):
    object_type = django_filters.CharFilter(
        label=_("Record type"), method="filter_object_type", help_text=_("account, contact …")
    )
    object_id = django_filters.NumberFilter(label=_("Record id"))
    account = django_filters.NumberFilter(
        label=_("Account (with its contacts' entries)"), method="filter_account"
    )
    kind = django_filters.MultipleChoiceFilter(label=_("Kind"), choices=Note.Kind.choices)
    occurred_after = django_filters.DateFilter(
        label=_("From"), field_name="occurred_at", lookup_expr="date__gte"
    )
    occurred_before = django_filters.DateFilter(
        label=_("To"), field_name="occurred_at", lookup_expr="date__lte"
    )

    class Meta:
        model = Note
        fields: list[str] = []

    def filter_object_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        model = _timeline_model(value)
        if model is None:
            return queryset.none()
        return queryset.filter(content_type=ContentType.objects.get_for_model(model))

    def filter_account(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        model = _timeline_model("account")
        if model is None:
            return queryset.none()
        return queryset.filter(timeline_q(model, int(value)))


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    team = django_filters.ModelMultipleChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    role = django_filters.CharFilter(label=_("Role code"), field_name="roles__code")
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = User
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Only administrators see email addresses, so only they may search by them.
        user = getattr(self.request, "user", None)
        by_email = bool(user and user.is_authenticated and user.is_admin_for("user"))
        q = Q()
        for term in value.split():
            term_q = (
                Q(username__icontains=term)
                | Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
            )
            if by_email:
                term_q |= Q(email__icontains=term)
            q &= term_q
        return queryset.filter(q)
