"""Template helpers shared by every app's pages: ``{% load guanxi %}``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import formats, numberformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

# Symbols users expect in front of an amount; any other currency shows its ISO code.
_PLACES = {0: Decimal("1"), 2: Decimal("0.01")}
_ZERO = Decimal("0")
_CUTOFF = {0: Decimal("0.1"), 2: Decimal("0.01")}  # numberformat.format's, as it is
_LARGE = Decimal("1e30")  # beyond, Django's own formatting (and its exponent rules)

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


def money_formatter() -> Callable[[Any, str], str]:
    """``money`` for a page of amounts: the active locale's separators are looked up once.

    ``formats.number_format`` reads three locale settings per call (about 10 µs); a table of
    thousands of amounts (the director's forecast) formats them through one of these instead.
    The digits are Django's own ``numberformat.format``, so both give the same text.
    """
    decimal_sep = formats.get_format("DECIMAL_SEPARATOR", use_l10n=True)
    thousand_sep = formats.get_format("THOUSAND_SEPARATOR", use_l10n=True)
    grouping = formats.get_format("NUMBER_GROUPING", use_l10n=True)
    # Python's own "," grouping (by three) gives the same text where the locale groups by
    # three, or writes no separator at all (Chinese: groups of four, no separator).
    python_grouping = grouping == 3 or (not thousand_sep and isinstance(grouping, int))
    marks = str.maketrans({",": thousand_sep, ".": decimal_sep})

    def format_money(amount: Any, currency: str = "CNY") -> str:
        if amount in (None, ""):
            return ""
        try:
            value = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            return str(amount)
        places = 0 if currency == "JPY" else 2
        if python_grouping and value.is_finite() and abs(value) < _LARGE:
            # Django cuts extra decimals off rather than rounding them, and writes 0 for
            # anything smaller than the last place shown: the same here.
            if abs(value) < _CUTOFF[places]:
                value = _ZERO
            cut = value.quantize(_PLACES[places], rounding=ROUND_DOWN)
            number = f"{cut:,.{places}f}".translate(marks)
        else:
            number = numberformat.format(
                value, decimal_sep, places, grouping, thousand_sep, force_grouping=True
            )
        symbol = CURRENCY_SYMBOLS.get(currency)
        return f"{symbol}{number}" if symbol else f"{number} {currency}"

    return format_money


@register.filter
def money(amount: Any, currency: str = "CNY") -> str:
    """``{{ amount|money:"CNY" }}``: an amount in the active locale with its currency.

    Money is a ``Decimal`` with a currency code; grouping and the decimal mark follow the
    user's language (``1,234.50`` in English, ``1234.50`` in Chinese, which groups by four
    digits without a separator).
    """
    return money_formatter()(amount, currency)


@register.filter
def verbose_name(obj: Any) -> str:
    """``{{ record|verbose_name }}``: the record's type in the reader's language ("contact")."""
    meta = getattr(obj, "_meta", None)
    return str(meta.verbose_name) if meta else ""


@register.filter
def model_name(obj: Any) -> str:
    """``{{ record|model_name }}``: the record's type as code ("contact")."""
    meta = getattr(obj, "_meta", None)
    return meta.model_name if meta else ""


@register.filter
def duration(delta: Any) -> str:
    """A ``timedelta`` in words: ``30 minutes``, ``2 hours``, ``1 day``."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60 or minutes % 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 24 or hours % 24:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d day", "%(n)d days", hours // 24) % {"n": hours // 24}


@register.filter
def is_admin(user: Any) -> bool:
    """Whether ``user`` administers users, teams, roles and settings."""
    return bool(getattr(user, "is_authenticated", False) and user.is_admin_for("user"))


@register.filter
def can(user: Any, object_type_and_action: str) -> bool:
    """``{% if user|can:"account.create" %}``: whether a role grants that action."""
    object_type, _sep, action = object_type_and_action.partition(".")
    return bool(getattr(user, "is_authenticated", False) and user.has_action(object_type, action))


@register.filter
def is_htmx(request: Any) -> bool:
    return request is not None and request.headers.get("HX-Request") == "true"


@register.filter
def saved_value(bound_field: Any) -> Any:
    """The value saved by someone else meanwhile, when a stale form is shown again."""
    return getattr(bound_field.form, "saved_values", {}).get(bound_field.name)


@register.filter
def field_type(bound_field: Any) -> str:
    """The widget's kind, so one field template renders checkboxes, radios and inputs."""
    widget = bound_field.field.widget
    name = type(widget).__name__
    if name in {"CheckboxSelectMultiple", "RadioSelect"}:
        return "choices"
    if name == "CheckboxInput":
        return "checkbox"
    if getattr(widget, "is_hidden", False):
        return "hidden"
    return "input"


@register.simple_tag
def url_or_empty(name: str, *args: Any) -> str:
    """The URL of ``name`` or ``""`` when that page does not exist (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.inclusion_tag("includes/record_panel.html")
def history_panel(obj: Any) -> dict[str, Any]:
    """A History tab body that loads the record's change log with htmx."""
    return {
        "url": reverse("history", args=[obj.object_type(), obj.pk]),
        "panel_id": f"history-{obj.object_type()}-{obj.pk}",
        "loading": _("Loading history…"),
    }


@register.inclusion_tag("includes/record_panel.html")
def shares_panel(obj: Any) -> dict[str, Any]:
    """The sharing box of a record, loaded with htmx (shown only to who may edit it)."""
    return {
        "url": reverse("shares", args=[obj.object_type(), obj.pk]),
        "panel_id": f"shares-{obj.object_type()}-{obj.pk}",
        "loading": _("Loading…"),
    }
