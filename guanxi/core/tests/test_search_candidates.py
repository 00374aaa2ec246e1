"""Global search ranks a bounded number of matches, and stays scoped while doing it."""

from __future__ import annotations

import pytest

from guanxi.core.search import global_search, ranked_matches, search_filter
from guanxi.core.tests.factories import AccountFactory
from guanxi.customers.models import Account

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhangs(org):
    # 张伟 matches "zhang" once; 张张科技 (two 张) ranks higher on PostgreSQL and SQLite alike
    names = ["张伟", "张强", "张张科技", "张敏", "张静", "王张"]
    return [AccountFactory(name=name, owner=org.east_rep) for name in names]


def test_ranked_matches_equal_the_full_ranking_while_matches_are_fewer_than_candidates(org, zhangs):
    visible = Account.objects.visible_to(org.east_rep)

    capped = list(ranked_matches(visible, "zhang", candidates=100))
    full = list(search_filter(visible, "zhang").order_by("-search_rank", "pk"))

    assert [a.pk for a in capped] == [a.pk for a in full]
    assert [a.search_rank for a in capped] == [a.search_rank for a in full]


def test_ranked_matches_rank_no_more_rows_than_candidates(org, zhangs):
    visible = Account.objects.visible_to(org.east_rep)

    ranked = list(ranked_matches(visible, "zhang", candidates=3))

    assert len(ranked) == 3
    assert {a.name for a in ranked} <= {a.name for a in zhangs}
    assert [a.search_rank for a in ranked] == sorted((a.search_rank for a in ranked), reverse=True)


def test_ranked_matches_keep_the_callers_visibility(org, zhangs):
    AccountFactory(name="张西", owner=org.west_rep)

    seen_by_east = {a.name for a in ranked_matches(Account.objects.visible_to(org.east_rep), "zx")}
    seen_by_west = {a.name for a in ranked_matches(Account.objects.visible_to(org.west_rep), "zx")}

    assert (seen_by_east, seen_by_west) == (set(), {"张西"})


def test_ranked_matches_of_an_empty_query_are_empty(org, zhangs):
    assert list(ranked_matches(Account.objects.all(), " ,. ")) == []


def test_global_search_still_puts_the_best_match_first(org, zhangs):
    hits = global_search(org.east_rep, "zhang")

    assert hits[0].title == "张张科技"
    assert {h.title for h in hits} == {a.name for a in zhangs}
