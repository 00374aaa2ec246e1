"""The generic page pieces: pagination, tables, form values, saved views and tags services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core import services as core
from guanxi.core.generic import (
    Column,
    Table,
    display_value,
    paginate,
    plain_value,
    record_field_values,
)
from guanxi.core.models import SavedView, Tag
from guanxi.core.tests.factories import AccountFactory
from guanxi.customers.forms import AccountForm
from guanxi.customers.models import Account

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------------
# pagination
# --------------------------------------------------------------------------------------------


def _accounts(n: int) -> None:
    for i in range(n):
        AccountFactory(name=f"A{i:03}")


def test_paginate_fetches_one_extra_row_and_counts_nothing_on_a_last_page():
    _accounts(7)

    with CaptureQueriesContext(connection) as queries:
        page = paginate(Account.objects.order_by("name"), 1, 10)

    assert [a.name for a in page.rows] == [f"A{i:03}" for i in range(7)]
    assert (page.has_next, page.count, page.count_capped) == (False, 7, False)
    assert len(queries.captured_queries) == 1
    assert "LIMIT 11" in queries.captured_queries[0]["sql"]


def test_paginate_counts_up_to_the_cap_only():
    _accounts(12)

    with CaptureQueriesContext(connection) as queries:
        page = paginate(Account.objects.order_by("name"), 1, 5, cap=8)

    assert page.has_next
    assert (page.count, page.count_capped, page.last_number) == (None, True, None)
    count_sql = queries.captured_queries[-1]["sql"]
    assert "COUNT" in count_sql and "LIMIT 9" in count_sql


def test_paginate_exact_count_under_the_cap():
    _accounts(12)

    page = paginate(Account.objects.order_by("name"), 2, 5)

    assert (page.start_index, page.end_index, page.count, page.last_number) == (6, 10, 12, 3)
    assert page.has_previous and page.has_next


def test_paginate_page_beyond_the_end():
    _accounts(3)

    page = paginate(Account.objects.order_by("name"), 5, 5)

    assert page.rows == []
    assert page.count == 3
    assert not page.has_next


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


class SampleTable(Table):
    columns = (
        Column("name", "Name", kind="link", sort="name"),
        Column("city", "City", sort="city"),
        Column("phone", "Phone", default=False),
    )


def test_table_keeps_required_column_first_and_drops_unknown_names():
    assert SampleTable.clean_columns(["phone", "nonsense", "city", "phone"]) == [
        "name",
        "phone",
        "city",
    ]


def test_table_default_columns_and_sortable_whitelist():
    assert SampleTable.default_columns() == ["name", "city"]
    assert SampleTable.sortable() == {"name": "name", "city": "city"}


def test_column_values_follow_dotted_paths_and_choice_labels(org):
    parent = AccountFactory(name="Group")
    account = AccountFactory(name="Child", parent=parent, settlement="credit")

    assert Column("p", "P", attr="parent.name").value(account) == "Group"
    assert Column("settlement", "S", kind="choice").value(account) == "Credit"
    assert Column("p", "P", attr="parent.parent.name").value(account) is None


# --------------------------------------------------------------------------------------------
# values for the conflict page
# --------------------------------------------------------------------------------------------


def test_plain_value_makes_values_comparable():
    tag = Tag.objects.create(name="x")
    assert plain_value(tag) == tag.pk
    assert plain_value([3, 1, 2]) == [1, 2, 3]
    assert plain_value(dt.date(2026, 1, 2)) == "2026-01-02"
    assert plain_value(Decimal("1.50")) == "1.5"


def test_record_field_values_and_display(org):
    tag = Tag.objects.create(name="VIP")
    parent = AccountFactory(name="Group")
    account = AccountFactory(name="Child", parent=parent, settlement="credit", owner=org.east_rep)
    account.tags.add(tag)

    values = record_field_values(account, ["parent", "settlement", "tags", "owner", "new_tags"])

    assert values == {
        "parent": parent.pk,
        "settlement": "credit",
        "tags": [tag.pk],
        "owner": org.east_rep.pk,
    }
    assert display_value(Account, "parent", parent.pk) == "Group"
    assert display_value(Account, "settlement", "credit") == "Credit"
    assert display_value(Account, "tags", [tag.pk]) == "VIP"
    assert display_value(Account, "phone", "") == "—"


def test_record_form_base_is_signed_and_ignored_when_forged(org):
    account = AccountFactory(name="A", owner=org.east_rep)
    form = AccountForm(instance=account, user=org.east_rep)
    base = form.fields["base"].initial

    good = AccountForm({"base": base}, instance=account, user=org.east_rep)
    forged = AccountForm(
        {"base": signing.dumps({"v": {"name": "x"}, "c": ["name"]}, salt="other")},
        instance=account,
        user=org.east_rep,
    )

    assert good.base_values()["name"] == "A"
    assert forged.base_values() == {}
    assert forged.pending_conflicts() == []


def test_record_form_offers_owner_only_to_who_may_assign(org):
    assert "owner" not in AccountForm(user=org.east_rep).fields
    manager_form = AccountForm(user=org.east_manager)
    owners = set(manager_form.fields["owner"].queryset)
    assert org.east_rep2 in owners and org.west_rep not in owners
    assert org.west_rep in set(AccountForm(user=org.admin).fields["owner"].queryset)


# --------------------------------------------------------------------------------------------
# the services the list pages use
# --------------------------------------------------------------------------------------------


def test_save_view_creates_and_overwrites_by_name(org):
    first = core.save_view(org.east_rep, "account", "Mine", query="a=1", columns=["name"])
    second = core.save_view(org.east_rep, "account", " Mine ", query="a=2")

    assert first.pk == second.pk
    assert SavedView.objects.get().query == "a=2"


def test_save_view_needs_a_name(org):
    with pytest.raises(ValidationError):
        core.save_view(org.east_rep, "account", "  ", query="")


def test_only_managers_and_admins_share_views(org):
    with pytest.raises(PermissionDenied):
        core.save_view(org.east_rep, "account", "Team view", query="", shared=True)
    assert core.save_view(org.east_manager, "account", "Team view", query="", shared=True)


def test_delete_saved_view_of_someone_else_is_404(org):
    from django.http import Http404

    view = core.save_view(org.west_rep, "account", "Theirs", query="")

    with pytest.raises(Http404):
        core.delete_saved_view(org.east_rep, view)


def test_get_or_create_tags_reuses_existing_case_insensitively(org):
    existing = Tag.objects.create(name="VIP")

    tags = core.get_or_create_tags(org.east_rep, ["vip", "  New   tag ", "", "new TAG"])

    assert tags[0] == existing
    assert [t.name for t in tags] == ["VIP", "New tag"]
    assert Tag.objects.count() == 2
