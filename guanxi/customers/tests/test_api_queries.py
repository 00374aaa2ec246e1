"""Account and contact list endpoints make as many queries for 100 rows as for 10."""

from __future__ import annotations

import pytest

from guanxi.core import services as core
from guanxi.core.api.testing import client_for, count_queries
from guanxi.core.models import Tag
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


@pytest.fixture
def tags(db):
    return [Tag.objects.create(name="vip"), Tag.objects.create(name="key")]


def add_accounts(org, tags, start, stop):
    for i in range(start, stop):
        account = create_account(org.east_rep, {"name": f"客户{i}", "tags": tags})
        create_contact(org.east_rep, {"name": f"联系人{i}", "account": account, "tags": tags})
        core.share_record(org.east_rep, account, user=org.west_rep, access="read")


@pytest.mark.parametrize(
    ("user_name", "params"),
    [
        ("east_rep", {}),
        ("west_rep", {"ordering": "-last_activity_at,name"}),  # sees them through shares
        ("director", {"q": "kehu"}),
        ("admin", {"relationship_class": "potential"}),
    ],
)
def test_account_list_queries_do_not_grow_with_rows(org, tags, user_name, params):
    client = client_for(getattr(org, user_name))
    add_accounts(org, tags, 0, 10)
    ten = queries_for_rows(client, "/api/v1/accounts/", params)

    add_accounts(org, tags, 10, 100)
    hundred = queries_for_rows(client, "/api/v1/accounts/", params)

    assert (ten[1], hundred[1]) == (10, 100)
    assert ten[0] == hundred[0]


@pytest.mark.parametrize("user_name", ["east_rep", "west_rep", "east_manager"])
def test_contact_list_queries_do_not_grow_with_rows(org, tags, user_name):
    client = client_for(getattr(org, user_name))
    add_accounts(org, tags, 0, 10)
    ten = queries_for_rows(client, "/api/v1/contacts/")

    add_accounts(org, tags, 10, 100)
    hundred = queries_for_rows(client, "/api/v1/contacts/")

    assert (ten[1], hundred[1]) == (10, 100)
    assert ten[0] == hundred[0]
