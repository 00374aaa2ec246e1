"""``{% nurturing_panel lead %}``: the lead page's panel of its nurturing enrolments."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("leads/nurturing/lead_panel.html", takes_context=True)
def nurturing_panel(context: Any, lead: Any) -> dict[str, Any]:
    from guanxi.leads.nurturing_views import lead_panel_context

    return lead_panel_context(context["request"], lead)
