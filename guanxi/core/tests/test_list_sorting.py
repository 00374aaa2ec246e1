"""List pages sort NULLs last only where a NULL can occur, so a sorted page can use its index."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from guanxi.core.generic import _nullable
from guanxi.core.tests.factories import AccountFactory
from guanxi.customers.models import Account
from guanxi.customers.views import AccountListView

pytestmark = pytest.mark.django_db


def sorted_names(sort):
    view = AccountListView()
    view.request = RequestFactory().get("/", {"sort": sort})
    return [a.name for a in view.order(Account.objects.all(), view.sort_key())]


def sql_of(sort):
    view = AccountListView()
    view.request = RequestFactory().get("/", {"sort": sort})
    return str(view.order(Account.objects.all(), view.sort_key()).query)


@pytest.mark.parametrize(
    ("path", "nullable"),
    [
        ("created_at", False),
        ("name", False),
        ("last_activity_at", True),
        ("rating", True),
        ("owner__username", True),  # no owner: a NULL through the join
        ("no_such_field", True),
    ],
)
def test_nullable_follows_the_path(path, nullable):
    assert _nullable(Account, path) is nullable


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "name", "-name"])
def test_a_column_without_nulls_is_sorted_without_nulls_last(sort):
    assert "NULLS LAST" not in sql_of(sort)


def test_a_nullable_column_still_sorts_nulls_last_both_ways(org):
    now = timezone.now()
    AccountFactory(name="Never", owner=org.east_rep)
    AccountFactory(name="Old", owner=org.east_rep, last_activity_at=now - timedelta(days=9))
    AccountFactory(name="New", owner=org.east_rep, last_activity_at=now)

    assert sorted_names("last_activity_at") == ["Old", "New", "Never"]
    assert sorted_names("-last_activity_at") == ["New", "Old", "Never"]


def test_newest_first_ties_break_on_the_newest_id(org):
    when = timezone.now()
    first = AccountFactory(name="A", owner=org.east_rep, created_at=when)
    second = AccountFactory(name="B", owner=org.east_rep, created_at=when)

    assert sorted_names("-created_at") == [second.name, first.name]
