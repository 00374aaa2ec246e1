"""Every order a list of a big record type can be sorted in has an index to read it from.

Without one, the first page of a million accounts sorted by industry sorts every live row (a
second), and a rep's contacts sorted by date check every contact's account first (four
seconds): docs/performance.md, "Sorting the list pages". Campaigns and call lists are left out:
an organisation has hundreds of them, not millions.
"""

import pytest
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.urls import get_resolver

from guanxi.activities.models import Activity
from guanxi.core.api.router import router
from guanxi.core.generic import ObjectListView
from guanxi.core.models import DescNullsLastIndex
from guanxi.customers.models import Account, Contact
from guanxi.leads.models import Lead
from guanxi.sales.models import Opportunity

BIG = (Account, Contact, Lead, Opportunity, Activity)
LIVE = Q(deleted_at__isnull=True)


def list_views():
    """The UI list views (class-based) of every URL."""
    views, stack = set(), [get_resolver()]
    while stack:
        resolver = stack.pop()
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                stack.append(pattern)
                continue
            view_class = getattr(pattern.callback, "view_class", None)
            if view_class and issubclass(view_class, ObjectListView):
                views.add(view_class)
    return views


def sorted_columns(model):
    """Columns of ``model`` itself that a list page or the API sorts by."""
    columns = set()
    for view in list_views():
        if view.filterset_class._meta.model is model:
            columns |= set(view.table_class.sortable().values())
    for _prefix, viewset, _basename in router.registry:
        if getattr(viewset, "model", None) is model:
            columns |= set(getattr(viewset, "ordering_fields", ()) or ())
    return sorted(c for c in columns if "__" not in c)


def leading_columns(model):
    leading = {f.name for f in model._meta.fields if f.db_index or f.unique or f.primary_key}
    for index in model._meta.indexes:
        if index.fields:
            leading.add(index.fields[0].lstrip("-"))
    return leading


@pytest.mark.parametrize("model", BIG, ids=[m.__name__ for m in BIG])
def test_every_sorted_column_leads_an_index(model):
    columns = sorted_columns(model)
    assert "created_at" in columns or "name" in columns  # the views were found
    assert [c for c in columns if c not in leading_columns(model)] == []


@pytest.mark.parametrize("model", BIG, ids=[m.__name__ for m in BIG])
def test_sorted_choice_columns_have_an_index_with_the_id(model):
    """A column of a few values (a choice) sorts in groups of up to millions of rows: an index
    on the column alone would still leave each group to sort by id."""
    with_id = {index.fields[0] for index in model._meta.indexes if index.fields[1:2] == ["id"]}
    choices = [c for c in sorted_columns(model) if model._meta.get_field(c).choices]
    assert choices, "the test should see at least one choice column"
    assert [c for c in choices if c not in with_id] == []


@pytest.mark.parametrize("model", BIG, ids=[m.__name__ for m in BIG])
def test_nullable_sorted_columns_have_a_descending_nulls_last_index(model):
    """The list pages sort a nullable column descending with NULLs last, which a backward scan
    of an ascending index does not give."""
    nullable = [
        name
        for name in sorted_columns(model)
        if model._meta.get_field(name).null and not model._meta.get_field(name).is_relation
    ]
    for name in nullable:
        wanted = (
            OrderBy(F(name), descending=True, nulls_last=True),
            OrderBy(F("id"), descending=True),
        )
        found = [i for i in model._meta.indexes if tuple(i.expressions) == wanted]
        assert found, f"{model.__name__}.{name}"
        assert isinstance(found[0], DescNullsLastIndex)
        assert found[0].condition == LIVE


@pytest.mark.django_db
def test_sqlite_index_leaves_nulls_last_out():
    from django.db import connection

    index = next(i for i in Account._meta.indexes if i.name == "account_sortd_rating")
    editor = connection.schema_editor(collect_sql=True)  # not entered: nothing is run
    sql = str(index.create_sql(Account, editor))
    if connection.vendor == "postgresql":
        assert '"rating" DESC NULLS LAST, "id" DESC' in sql
    else:
        assert '"rating" DESC, "id" DESC' in sql and "NULLS" not in sql
