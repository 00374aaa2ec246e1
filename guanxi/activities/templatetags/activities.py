"""``{% load activities %}``: the activities panel any record page can show."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("includes/record_panel.html")
def activities_panel(obj: Any) -> dict[str, Any]:
    """The record's open and recent activities with buttons to plan new ones (htmx)."""
    return {
        "url": reverse("activities:record-activities", args=[obj.object_type(), obj.pk]),
        "panel_id": f"activities-{obj.object_type()}-{obj.pk}",
        "loading": _("Loading activities…"),
    }


@register.filter
def type_label(record: Any) -> str:
    """``{{ record|type_label }}``: what kind of record it is, capitalised ("Lead")."""
    if record is None:
        return ""
    return str(record._meta.verbose_name).capitalize()
