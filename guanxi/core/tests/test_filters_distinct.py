"""List filters on a row's own columns add no DISTINCT (it makes a million-row page slow)."""

from __future__ import annotations

import pytest

from guanxi.core.models import Tag
from guanxi.core.tests.factories import AccountFactory
from guanxi.customers.filters import AccountFilterSet, ContactFilterSet
from guanxi.customers.models import Account, Contact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params",
    [
        {"relationship_class": ["repeat"]},
        {"kind": ["company"], "profit_contribution": ["vip", "core"]},
        {"city": "上海"},
    ],
)
def test_account_column_filters_add_no_distinct(org, params):
    filtered = AccountFilterSet(params, queryset=Account.objects.visible_to(org.admin)).qs

    assert not filtered.query.distinct


def test_owner_and_team_filters_add_no_distinct(org):
    params = {"owner": [org.east_rep.pk], "team": [org.east.pk]}

    filtered = AccountFilterSet(params, queryset=Account.objects.all()).qs

    assert not filtered.query.distinct


def test_contact_filters_on_the_account_add_no_distinct(org):
    params = {"relationship_class": ["repeat"], "buying_role": ["user"]}

    filtered = ContactFilterSet(params, queryset=Contact.objects.all()).qs

    assert not filtered.query.distinct


def test_choice_filters_still_list_each_account_once(org):
    repeat = AccountFactory(name="Acme", owner=org.east_rep, relationship_class="repeat")
    AccountFactory(name="Other", owner=org.east_rep, relationship_class="loyal")

    params = {"relationship_class": ["repeat", "lost"], "owner": [org.east_rep.pk]}
    filtered = AccountFilterSet(params, queryset=Account.objects.all()).qs

    assert list(filtered) == [repeat]


def test_tag_filter_lists_an_account_with_two_matching_tags_once(org):
    red, blue = Tag.objects.create(name="red"), Tag.objects.create(name="blue")
    account = AccountFactory(name="Acme", owner=org.east_rep)
    account.tags.set([red, blue])

    filtered = AccountFilterSet({"tag": [red.pk, blue.pk]}, queryset=Account.objects.all()).qs

    assert list(filtered) == [account]
