"""Columns of the activity and call list pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.generic import Column, Table

OWNER = Column(
    "owner", _("Owner"), kind="related", sort="owner__username", select_related=("owner",)
)
TEAM = Column(
    "team",
    _("Team"),
    kind="related",
    sort="team__name",
    select_related=("team",),
    default=False,
)


class ActivityTable(Table):
    columns = (
        Column("subject", _("Subject"), kind="link", sort="subject"),
        Column("kind", _("Kind"), kind="choice", sort="kind"),
        Column("status", _("Status"), kind="choice", sort="status"),
        Column("due_at", _("Due"), kind="datetime", sort="due_at"),
        Column("related", _("On"), kind="related", prefetch_related=("related",)),
        Column("priority", _("Priority"), kind="choice", sort="priority", default=False),
        Column(
            "account",
            _("Account"),
            kind="related",
            sort="account__name",
            select_related=("account",),
            default=False,
        ),
        Column(
            "outcome",
            _("Outcome"),
            kind="related",
            sort="outcome__order",
            select_related=("outcome",),
            default=False,
        ),
        Column("done_at", _("Done"), kind="datetime", sort="done_at", default=False),
        OWNER,
        TEAM,
        Column("created_at", _("Created"), kind="datetime", sort="created_at", default=False),
    )
    required = ("subject",)
    default_sort = "due_at"


class CallListTable(Table):
    columns = (
        Column("name", _("Name"), kind="link", sort="name"),
        Column("record_type", _("List of"), kind="choice", sort="record_type"),
        Column("entry_count", _("Entries"), kind="number"),
        Column("done_count", _("Called"), kind="number"),
        Column("built_at", _("Built"), kind="datetime", sort="built_at"),
        OWNER,
        TEAM,
    )
    default_sort = "-built_at"
