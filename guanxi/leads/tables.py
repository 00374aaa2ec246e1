"""Columns of the lead list page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.generic import Column, Table

OWNER = Column(
    "owner", _("Owner"), kind="related", sort="owner__username", select_related=("owner",)
)
TEAM = Column("team", _("Team"), kind="related", sort="team__name", select_related=("team",))


class LeadTable(Table):
    columns = (
        Column("person_name", _("Name"), kind="link", sort="person_name"),
        Column("company", _("Company"), sort="company"),
        Column("title", _("Job title"), sort="title", default=False),
        Column("status", _("Status"), kind="choice", sort="status"),
        Column("score", _("Score"), kind="number", sort="score"),
        Column("source", _("Source"), kind="choice", sort="source"),
        Column(
            "campaign",
            _("Campaign"),
            kind="related",
            sort="campaign__name",
            select_related=("campaign",),
            default=False,
        ),
        Column("mobile", _("Mobile")),
        Column("phone", _("Phone"), default=False),
        Column("email", _("Email"), default=False),
        Column("industry", _("Industry"), kind="choice", sort="industry", default=False),
        Column("province", _("Province"), sort="province", default=False),
        Column("city", _("City"), sort="city", default=False),
        Column("product_interest", _("Product interest"), default=False),
        Column(
            "decision_timeline",
            _("Decision timeline"),
            kind="choice",
            sort="decision_timeline",
            default=False,
        ),
        OWNER,
        TEAM,
        Column("tags", _("Tags"), kind="tags", prefetch_related=("tags",), default=False),
        Column(
            "first_contacted_at",
            _("First contacted"),
            kind="datetime",
            sort="first_contacted_at",
            default=False,
        ),
        Column("last_activity_at", _("Last activity"), kind="datetime", sort="last_activity_at"),
        Column("created_at", _("Created"), kind="datetime", sort="created_at"),
    )
    required = ("person_name",)
    default_sort = "-created_at"
