"""Timeline, history and user list endpoints make as many queries for 100 rows as for 10."""

from __future__ import annotations

import pytest

from guanxi.core import services as core
from guanxi.core.api.testing import client_for, count_queries
from guanxi.core.models import User
from guanxi.core.tests.factories import make_user
from guanxi.customers.services import create_account, create_contact

pytestmark = pytest.mark.django_db


def queries_for_rows(client, url, params=None):
    params = {"page_size": 500, **(params or {})}
    client.get(url, params)  # warm the per-process caches (content types) first
    response = None

    def fetch():
        nonlocal response
        response = client.get(url, params)

    queries = count_queries(fetch)
    assert response.status_code == 200
    return queries, len(response.data["results"])


def test_note_list_queries_do_not_grow_with_rows(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    contact = create_contact(org.admin, {"name": "Li", "account": account}, owner=org.east_rep2)
    client = client_for(org.east_rep)

    def add(n):
        for i in range(n):
            core.add_note(org.east_rep, account, {"body": f"a{i}"})
            core.add_note(org.east_rep, contact, {"body": f"c{i}", "kind": "call"})

    add(5)
    ten = queries_for_rows(client, "/api/v1/notes/", {"account": account.pk})
    add(45)
    hundred = queries_for_rows(client, "/api/v1/notes/", {"account": account.pk})

    assert (ten[1], hundred[1]) == (10, 100)
    assert ten[0] == hundred[0]


def test_change_list_queries_do_not_grow_with_rows(org):
    account = create_account(org.east_rep, {"name": "Acme"})  # one entry
    client = client_for(org.east_rep)
    params = {"object_type": "account", "object_id": account.pk}
    actors = [org.east_rep, org.east_manager, org.director]

    def edit(n):
        for i in range(n):
            current = type(account).objects.get(pk=account.pk)
            core.update_record(
                actors[i % 3], current, {"city": f"c{current.version}"}, expected_version=None
            )

    edit(9)
    ten = queries_for_rows(client, "/api/v1/changes/", params)
    edit(90)
    hundred = queries_for_rows(client, "/api/v1/changes/", params)

    assert (ten[1], hundred[1]) == (10, 100)
    assert ten[0] == hundred[0]


@pytest.mark.parametrize("user_name", ["admin", "east_rep"])
def test_user_list_queries_do_not_grow_with_rows(org, user_name):
    client = client_for(getattr(org, user_name))

    def fill_up_to(total):
        while User.objects.count() < total:
            make_user("sales_rep", team=org.west)

    fill_up_to(10)
    ten = queries_for_rows(client, "/api/v1/users/")
    fill_up_to(100)
    hundred = queries_for_rows(client, "/api/v1/users/")

    assert (ten[1], hundred[1]) == (10, 100)
    assert ten[0] == hundred[0]
