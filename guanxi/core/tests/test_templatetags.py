"""Template helpers: money and durations in the active language."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import formats, translation
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.templatetags.guanxi import (
    CURRENCY_SYMBOLS,
    duration,
    money,
    money_formatter,
)


def test_money_groups_thousands_with_two_decimals_and_the_symbol():
    with translation.override("en"):
        assert money(Decimal("1234567.5"), "CNY") == "¥1,234,567.50"


def test_money_of_an_unknown_currency_shows_its_code():
    with translation.override("en"):
        assert money(Decimal("12"), "CHF") == "12.00 CHF"


def test_money_in_chinese_groups_by_four_digits_without_a_separator():
    with translation.override("zh-hans"):
        assert money(Decimal("1234567.5"), "CNY") == "¥1234567.50"
        assert money(Decimal("-3"), "JPY") == "¥-3"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@given(
    amount=st.decimals(min_value=-(10**15), max_value=10**15, places=4, allow_nan=False)
    | st.sampled_from(
        [Decimal(x) for x in ("-0.004", "0.009", "-0.01", "999.999", "-0.1", "-0.05", "-0", "1E+3")]
    ),
    currency=st.sampled_from(["CNY", "USD", "JPY", "CHF"]),
)
def test_money_formatter_gives_the_text_of_django_number_format(language, amount, currency):
    with translation.override(language):
        places = 0 if currency == "JPY" else 2
        number = formats.number_format(amount, places, use_l10n=True, force_grouping=True)
        expected = f"{number} CHF" if currency == "CHF" else f"{CURRENCY_SYMBOLS[currency]}{number}"
        assert money_formatter()(amount, currency) == expected
        assert money(amount, currency) == expected


def test_money_of_nothing_is_empty():
    assert money(None) == ""


def test_duration_in_words():
    with translation.override("en"):
        assert duration(dt.timedelta(minutes=30)) == "30 minutes"
        assert duration(dt.timedelta(hours=2)) == "2 hours"
        assert duration(dt.timedelta(days=1)) == "1 day"
