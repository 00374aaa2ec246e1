"""Builders shared by the sales tests: accounts, opportunities in a given stage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from guanxi.customers.services import create_account
from guanxi.sales.models import Opportunity, Pipeline, Stage
from guanxi.sales.services import create_opportunity, move_stage


def stage(name: str, pipeline: Pipeline | None = None) -> Stage:
    return (pipeline or Pipeline.default()).stages.get(name=name)


def make_account(user: Any, name: str = "客户", **extra: Any) -> Any:
    return create_account(user, {"name": name, **extra})


def make_opp(
    user: Any,
    account: Any = None,
    amount: str = "1000",
    close: dt.date | None = dt.date(2026, 12, 1),
    *,
    stage_name: str | None = None,
    owner: Any = "actor",
    **extra: Any,
) -> Opportunity:
    account = account or make_account(user)
    opp = create_opportunity(
        user,
        {
            "name": extra.pop("name", f"Deal {amount}"),
            "account": account,
            "amount": Decimal(amount),
            "expected_close_date": close,
            **extra,
        },
        owner=owner,
    )
    if stage_name:
        reason = "price" if stage_name == "Closed lost" else ""
        opp = move_stage(
            user, opp, stage(stage_name), expected_version=opp.version, loss_reason=reason
        )
    return opp
