"""Columns of the campaign list page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core.generic import Column, Table


class CampaignTable(Table):
    columns = (
        Column("name", _("Name"), kind="link", sort="name"),
        Column("status", _("Status"), kind="choice", sort="status"),
        Column("start_date", _("Start"), kind="date", sort="start_date"),
        Column("end_date", _("End"), kind="date", sort="end_date"),
        Column("cost_display", _("Cost"), attr="cost_display", sort="cost"),
        Column(
            "owner",
            _("Owner"),
            kind="related",
            sort="owner__username",
            select_related=("owner",),
        ),
        Column(
            "team",
            _("Team"),
            kind="related",
            sort="team__name",
            select_related=("team",),
            default=False,
        ),
        Column("created_at", _("Created"), kind="datetime", sort="created_at", default=False),
    )
    default_sort = "-start_date"
