"""Opportunities: stage moves, history, closing, objections, forecast and kanban sums."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from guanxi.core.errors import StaleVersion
from guanxi.customers.services import create_account
from guanxi.sales.models import Opportunity, Pipeline, StageHistory
from guanxi.sales.selectors import forecast, kanban
from guanxi.sales.services import create_opportunity, log_objection, move_stage

pytestmark = pytest.mark.django_db


def stage(name):
    return Pipeline.default().stages.get(name=name)


@pytest.fixture
def account(org):
    return create_account(org.east_rep, {"name": "客户"})


def make_opp(user, account, amount, close, **extra):
    return create_opportunity(
        user,
        {
            "name": f"Deal {amount}",
            "account": account,
            "amount": Decimal(amount),
            "expected_close_date": close,
            **extra,
        },
    )


def test_new_opportunity_starts_in_first_stage_with_its_probability(org, account):
    opp = make_opp(org.east_rep, account, "1000", dt.date(2026, 12, 1))
    assert opp.stage.name == "Prospecting"
    assert opp.probability == 10
    assert StageHistory.objects.filter(opportunity=opp).count() == 1


def test_moving_stage_records_history_and_won_closes(org, account):
    opp = make_opp(org.east_rep, account, "1000", dt.date(2026, 12, 1))
    opp = move_stage(org.east_rep, opp, stage("Negotiation"), expected_version=opp.version)
    opp = move_stage(org.east_rep, opp, stage("Closed won"), expected_version=opp.version)
    assert opp.closed_at is not None
    assert opp.forecast_category == "closed"
    history = list(
        StageHistory.objects.filter(opportunity=opp).values_list("stage__name", "left_at")
    )
    assert [h[0] for h in history] == ["Prospecting", "Negotiation", "Closed won"]
    assert history[0][1] is not None and history[-1][1] is None


def test_lost_needs_a_reason(org, account):
    opp = make_opp(org.east_rep, account, "1000", dt.date(2026, 12, 1))
    with pytest.raises(ValidationError) as info:
        move_stage(org.east_rep, opp, stage("Closed lost"), expected_version=opp.version)
    assert "loss_reason" in info.value.message_dict
    opp = move_stage(
        org.east_rep, opp, stage("Closed lost"), expected_version=opp.version, loss_reason="price"
    )
    assert opp.loss_reason == "price"


def test_stale_drag_is_refused(org, account):
    opp = make_opp(org.east_rep, account, "1000", dt.date(2026, 12, 1))
    move_stage(org.east_rep, opp, stage("Proposal"), expected_version=1)
    with pytest.raises(StaleVersion):
        move_stage(org.east_manager, opp, stage("Negotiation"), expected_version=1)


def test_objection_is_logged_on_the_opportunity(org, account):
    opp = make_opp(org.east_rep, account, "1000", dt.date(2026, 12, 1))
    objection = log_objection(
        org.east_rep,
        opp,
        {"type": "price", "description": "太贵", "handling": "offered volume discount"},
    )
    assert list(opp.objections.all()) == [objection]


def test_forecast_sums_equal_the_opportunities(org, account):
    a = make_opp(org.east_rep, account, "1000.00", dt.date(2026, 12, 5))
    b = make_opp(org.east_rep, account, "2500.50", dt.date(2026, 12, 20))
    make_opp(org.east_rep, account, "999", dt.date(2027, 1, 3))
    move_stage(org.east_rep, b, stage("Negotiation"), expected_version=b.version)
    rows = forecast(org.east_manager, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 31))
    assert sum(r.amount for r in rows) == Decimal("3500.50")
    assert sum(r.count for r in rows) == 2
    # weighted: 1000 × 10 % + 2500.50 × 75 %
    assert sum(r.weighted for r in rows) == Decimal("100.00") + Decimal("1875.38")
    assert {r.category for r in rows} == {"pipeline", "commit"}
    assert a.pk  # both deals are the rep's, seen by the manager above


def test_kanban_counts_and_totals_per_stage(org, account):
    make_opp(org.east_rep, account, "100", dt.date(2026, 12, 5))
    make_opp(org.east_rep, account, "200", dt.date(2026, 12, 5))
    make_opp(org.west_rep, create_account(org.west_rep, {"name": "W"}), "999", dt.date(2026, 12, 5))
    columns = kanban(org.east_rep, Pipeline.default())
    first = columns[0]
    assert first.count == 2
    assert first.totals == {"CNY": Decimal("300.00")}
    assert [c.amount for c in first.cards] == [Decimal("200.00"), Decimal("100.00")]
    assert Opportunity.objects.count() == 3
