"""API list pages: a count that stays cheap on long lists, exact next links, bad page numbers."""

from __future__ import annotations

import pytest

from guanxi.core.api.pagination import PageNumberPagination
from guanxi.core.api.testing import client_for
from guanxi.core.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_accounts(org):
    return [AccountFactory(name=f"Acme {i}", owner=org.east_rep) for i in range(5)]


@pytest.fixture
def cap_of_three(monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "count_cap", 3)


def test_count_is_exact_up_to_the_cap(org, five_accounts):
    # given a list shorter than the cap
    client = client_for(org.east_rep)

    # when its first page is read
    body = client.get("/api/v1/accounts/", {"page_size": 2}).data

    # then the count is the exact number of rows
    assert (body["count"], body["count_capped"], len(body["results"])) == (5, False, 2)


def test_count_stops_at_the_cap_on_a_longer_list(org, five_accounts, cap_of_three):
    # given a list longer than the cap
    client = client_for(org.east_rep)

    # when a page is read
    body = client.get("/api/v1/accounts/", {"page_size": 2}).data

    # then the count says "the cap or more"
    assert (body["count"], body["count_capped"]) == (3, True)


def test_pages_beyond_the_cap_are_still_served(org, five_accounts, cap_of_three):
    # given a list longer than the cap
    client = client_for(org.east_rep)

    # when the page past the cap is read
    body = client.get("/api/v1/accounts/", {"page_size": 2, "page": 3, "ordering": "name"}).data

    # then it holds the last row and no next link
    assert [row["name"] for row in body["results"]] == ["Acme 4"]
    assert body["next"] is None
    assert "page=2" in body["previous"]


def test_next_link_is_given_exactly_when_a_next_page_exists(org, five_accounts):
    client = client_for(org.east_rep)

    first = client.get("/api/v1/accounts/", {"page_size": 4}).data
    last = client.get("/api/v1/accounts/", {"page_size": 4, "page": 2}).data
    exactly_full = client.get("/api/v1/accounts/", {"page_size": 5}).data

    assert "page=2" in first["next"]
    assert first["previous"] is None
    assert last["next"] is None
    assert "page=" not in last["previous"]
    assert exactly_full["next"] is None


@pytest.mark.parametrize("page", ["0", "-1", "abc", "last", "3"])
def test_a_page_that_does_not_exist_answers_404(org, five_accounts, page):
    client = client_for(org.east_rep)

    response = client.get("/api/v1/accounts/", {"page_size": 4, "page": page})

    assert response.status_code == 404


def test_an_empty_list_has_an_empty_first_page(org):
    body = client_for(org.west_rep).get("/api/v1/accounts/").data

    assert (body["count"], body["count_capped"], body["results"], body["next"]) == (
        0,
        False,
        [],
        None,
    )
