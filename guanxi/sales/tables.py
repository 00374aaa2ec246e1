"""Columns of the opportunity and pool list pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.core.generic import Column, Table
from guanxi.core.templatetags.guanxi import money
from guanxi.customers.tables import AccountTable

OWNER = Column(
    "owner", _("Owner"), kind="related", sort="owner__username", select_related=("owner",)
)
TEAM = Column("team", _("Team"), kind="related", sort="team__name", select_related=("team",))
TAGS = Column("tags", _("Tags"), kind="tags", prefetch_related=("tags",))


class MoneyColumn(Column):
    """An amount with its currency, in the user's number format."""

    def value(self, obj: Any) -> Any:
        return money(obj.amount, obj.currency)


class WeightedColumn(Column):
    def value(self, obj: Any) -> Any:
        return money(obj.weighted_amount, obj.currency)


class OpportunityTable(Table):
    columns = (
        Column("name", _("Name"), kind="link", sort="name"),
        Column(
            "account",
            _("Account"),
            kind="related",
            sort="account__name",
            select_related=("account",),
        ),
        Column(
            "pipeline",
            _("Pipeline"),
            kind="related",
            sort="pipeline__name",
            default=False,
            select_related=("pipeline",),
        ),
        Column("stage", _("Stage"), kind="related", sort="stage__order", select_related=("stage",)),
        MoneyColumn("amount", _("Amount"), sort="amount"),
        Column("probability", _("Probability %"), kind="number", sort="probability"),
        WeightedColumn("weighted", _("Weighted"), default=False),
        Column(
            "forecast_category",
            _("Forecast category"),
            kind="choice",
            sort="forecast_category",
            default=False,
        ),
        Column("expected_close_date", _("Expected close"), kind="date", sort="expected_close_date"),
        Column("competitors", _("Competitors"), default=False),
        Column("closed_at", _("Closed"), kind="datetime", sort="closed_at", default=False),
        OWNER,
        TEAM,
        TAGS,
        Column("created_at", _("Created"), kind="datetime", sort="created_at", default=False),
    )
    default_sort = "expected_close_date"


class PoolTable(Table):
    """The pool: accounts without an owner, with when they came back to it."""

    columns = (
        *(c for c in AccountTable.columns if c.name not in {"owner", "team"}),
        Column("pooled_at", _("In the pool since"), kind="datetime", sort="pooled_at"),
    )
    default_sort = "name"
