"""Template helpers: money and durations in the active language."""

import datetime as dt
from decimal import Decimal

from django.utils import translation

from guanxi.core.templatetags.guanxi import duration, money


def test_money_groups_thousands_with_two_decimals_and_the_symbol():
    with translation.override("en"):
        assert money(Decimal("1234567.5"), "CNY") == "¥1,234,567.50"


def test_money_of_an_unknown_currency_shows_its_code():
    with translation.override("en"):
        assert money(Decimal("12"), "CHF") == "12.00 CHF"


def test_money_of_nothing_is_empty():
    assert money(None) == ""


def test_duration_in_words():
    with translation.override("en"):
        assert duration(dt.timedelta(minutes=30)) == "30 minutes"
        assert duration(dt.timedelta(hours=2)) == "2 hours"
        assert duration(dt.timedelta(days=1)) == "1 day"
