"""Pages and endpoints make as many queries for many rows as for a few."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.activities import services
from guanxi.core.api.testing import client_for, count_queries
from guanxi.customers.services import create_contact
from guanxi.sales.tests.helpers import make_opp

from .helpers import make_account, make_activity, make_lead, outcome

pytestmark = pytest.mark.django_db


def queries(client, url, params=None, expect=200):
    client.get(url, params or {})  # warm the per-process caches (content types) first
    response = None

    def fetch():
        nonlocal response
        response = client.get(url, params or {})

    n = count_queries(fetch)
    assert response.status_code == expect
    return n, response


def add_activities(org, n, start=0):
    """Activities of every kind on every kind of record, with attendees and outcomes."""
    for i in range(start, start + n):
        account = make_account(org.east_rep, f"客户{i}")
        contact = create_contact(org.east_rep, {"name": f"联系人{i}", "account": account})
        lead = make_lead(org.east_rep, f"线索{i}")
        when = timezone.now() + dt.timedelta(hours=i % 5 - 2)
        make_activity(org.east_rep, f"Task {i}", related=account, due_at=when)
        make_activity(org.east_rep, f"Call {i}", kind="call", related=lead, due_at=when)
        make_activity(
            org.east_rep,
            f"Meeting {i}",
            kind="meeting",
            related=contact,
            start_at=when,
            attendees=[org.east_rep2],
        )
        done = make_activity(org.east_rep, f"Done {i}", kind="call", related=contact)
        services.complete_activity(org.east_rep, done, outcome=outcome("interested"))


@pytest.mark.parametrize("user_name", ["east_rep", "east_manager", "east_rep2"])
def test_activity_api_list_queries_do_not_grow_with_rows(org, user_name):
    client = client_for(getattr(org, user_name))
    add_activities(org, 2)
    few, first = queries(client, "/api/v1/activities/", {"page_size": 500})
    add_activities(org, 8, start=2)
    many, second = queries(client, "/api/v1/activities/", {"page_size": 500})

    assert len(second.data["results"]) > len(first.data["results"])
    assert few == many


@pytest.mark.parametrize(
    "columns", ["", "subject,kind,status,due_at,related,account,outcome,owner,team"]
)
def test_activity_list_page_queries_do_not_grow_with_rows(client, org, columns):
    client.force_login(org.east_rep)
    params = {"per_page": 200, **({"columns": columns} if columns else {})}
    add_activities(org, 2)
    few, _ = queries(client, reverse("activities:activity-list"), params)
    add_activities(org, 8, start=2)
    many, response = queries(client, reverse("activities:activity-list"), params)

    assert len(response.context["rows"]) == 40
    assert few == many


def test_calendar_queries_do_not_grow_with_rows(client, org):
    client.force_login(org.east_manager)
    params = {"view": "month", "team": org.east.pk}
    add_activities(org, 2)
    few, _ = queries(client, reverse("activities:calendar"), params)
    add_activities(org, 8, start=2)
    many, response = queries(client, reverse("activities:calendar"), params)

    assert sum(len(d.items) for d in response.context["period"].days) >= 30
    assert few == many


def test_call_list_pages_queries_do_not_grow_with_rows(client, org):
    client.force_login(org.east_rep)
    for i in range(3):
        make_lead(org.east_rep, f"a{i}", source="trade_show")
    services.create_call_list(
        org.east_rep, {"name": "L0", "record_type": "lead", "query": "source=trade_show"}
    )
    few_list, _ = queries(client, reverse("activities:calllist-list"))
    for i in range(10):
        make_lead(org.east_rep, f"b{i}", source="trade_show")
    big = services.create_call_list(
        org.east_rep, {"name": "L1", "record_type": "lead", "query": "source=trade_show"}
    )
    for entry in list(big.entries.all())[:5]:
        services.log_list_call(org.east_rep, entry, outcome=outcome("interested"))
    many_list, _ = queries(client, reverse("activities:calllist-list"))
    few_detail, _ = queries(
        client, reverse("activities:calllist-detail", args=[big.pk - 1 if big.pk > 1 else big.pk])
    )
    many_detail, _ = queries(client, big.get_absolute_url())

    assert few_list == many_list
    assert few_detail == many_detail


# -- the home page ------------------------------------------------------------------------------


def add_home_records(org, n, start=0):
    """What the home page summarises: activities due, leads to contact, opportunities."""
    for i in range(start, start + n):
        account = make_account(org.east_rep, f"主页客户{i}")
        make_activity(
            org.east_rep,
            f"Due {i}",
            kind="call",
            related=account,
            due_at=timezone.now() - dt.timedelta(hours=i % 3),
        )
        make_lead(org.east_rep, f"主页线索{i}")
        make_opp(
            org.east_rep,
            account,
            amount=str(1000 + i),
            close=timezone.localdate(),
            stage_name=["Prospecting", "Proposal", "Negotiation"][i % 3],
        )


@pytest.mark.parametrize("user_name", ["east_rep", "east_manager", "director"])
def test_home_page_queries_are_the_same_for_5_and_50_records(client, org, user_name):
    user = getattr(org, user_name)
    client.force_login(user)
    add_home_records(org, 5)
    few, first = queries(client, reverse("home"))
    add_home_records(org, 45, start=5)
    many, second = queries(client, reverse("home"))

    assert few == many
    if user_name == "east_rep":
        assert (first.context["today_total"], second.context["today_total"]) == (5, 50)
        assert second.context["my_pipeline"].count == 50
    else:
        assert second.context["team_pipeline"].count == 50
        assert second.context["overdue_activities_total"] == 50
