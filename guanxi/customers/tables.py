"""Columns of the account and contact list pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.generic import Column, Table

OWNER = Column(
    "owner", _("Owner"), kind="related", sort="owner__username", select_related=("owner",)
)
TEAM = Column("team", _("Team"), kind="related", sort="team__name", select_related=("team",))
TAGS = Column("tags", _("Tags"), kind="tags", prefetch_related=("tags",))
LAST_ACTIVITY = Column(
    "last_activity_at", _("Last activity"), kind="datetime", sort="last_activity_at"
)
CREATED = Column("created_at", _("Created"), kind="datetime", sort="created_at", default=False)


class AccountTable(Table):
    columns = (
        Column("name", _("Name"), kind="link", sort="name"),
        Column("kind", _("Kind"), kind="choice", sort="kind", default=False),
        Column("relationship_class", _("Relationship"), kind="choice", sort="relationship_class"),
        Column("industry", _("Industry"), kind="choice", sort="industry", default=False),
        Column("source_class", _("Source"), kind="choice", sort="source_class", default=False),
        Column("region_class", _("Region"), kind="choice", sort="region_class", default=False),
        Column("settlement", _("Settlement"), kind="choice", sort="settlement", default=False),
        Column(
            "receivables_class",
            _("Receivables"),
            kind="choice",
            sort="receivables_class",
            default=False,
        ),
        Column(
            "profitability", _("Profitability"), kind="choice", sort="profitability", default=False
        ),
        Column(
            "profit_contribution",
            _("Profit contribution"),
            kind="choice",
            sort="profit_contribution",
        ),
        Column("province", _("Province"), sort="province", default=False),
        Column("city", _("City"), sort="city"),
        Column("phone", _("Phone")),
        Column("email", _("Email"), default=False),
        Column("tax_number", _("Unified social credit code"), sort="tax_number", default=False),
        Column(
            "parent",
            _("Parent account"),
            kind="related",
            sort="parent__name",
            default=False,
            select_related=("parent",),
        ),
        Column("rating", _("Rating"), kind="number", sort="rating", default=False),
        OWNER,
        TEAM,
        TAGS,
        LAST_ACTIVITY,
        CREATED,
    )
    default_sort = "name"


class ContactTable(Table):
    columns = (
        Column("name", _("Name"), kind="link", sort="name"),
        Column(
            "account",
            _("Account"),
            kind="related",
            sort="account__name",
            select_related=("account",),
        ),
        Column("title", _("Job title"), sort="title"),
        Column("department", _("Department"), sort="department", default=False),
        Column("buying_role", _("Buying role"), kind="choice", sort="buying_role"),
        Column("mobile", _("Mobile")),
        Column("phone", _("Phone"), default=False),
        Column("email", _("Email")),
        Column("wechat_id", _("WeChat ID"), default=False),
        Column(
            "preferred_channel",
            _("Preferred channel"),
            kind="choice",
            default=False,
            sort="preferred_channel",
        ),
        Column("consent_email", _("Email consent"), kind="choice", default=False),
        Column("consent_phone", _("Phone consent"), kind="choice", default=False),
        Column("consent_sms", _("SMS consent"), kind="choice", default=False),
        OWNER,
        TEAM,
        TAGS,
        LAST_ACTIVITY,
        CREATED,
    )
    default_sort = "name"
