"""Forecast, sales velocity and objections report pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.sales.models import Opportunity
from guanxi.sales.services import log_objection, update_objection

from .helpers import make_account, make_opp

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-10-01", "end": "2026-12-31", "period": "month"}


@pytest.fixture
def deals(org):
    east = make_account(org.east_rep, "East customer")
    west = make_account(org.west_rep, "West customer")
    return [
        make_opp(org.east_rep, east, "1000.00", dt.date(2026, 10, 5)),
        make_opp(org.east_rep, east, "2500.50", dt.date(2026, 11, 20), stage_name="Negotiation"),
        make_opp(org.east_rep2, make_account(org.east_rep2), "300", dt.date(2026, 12, 1)),
        make_opp(org.west_rep, west, "777", dt.date(2026, 12, 2), stage_name="Closed won"),
        make_opp(org.west_rep, west, "50", dt.date(2026, 12, 3), currency="USD"),
        make_opp(org.west_rep, west, "9999", dt.date(2026, 12, 4), stage_name="Closed lost"),
        make_opp(org.east_rep, east, "123", dt.date(2027, 1, 4)),  # after the period
    ]


def expected_total(user, currency):
    in_period = Opportunity.objects.visible_to(user).filter(
        expected_close_date__range=(dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        currency=currency,
    )
    open_or_won = in_period.exclude(stage__kind="lost")
    return sum((o.amount for o in open_or_won), Decimal("0")), open_or_won.count()


def test_forecast_totals_equal_the_sum_of_the_opportunities(client, org, deals):
    client.force_login(org.director)

    html = client.get(reverse("sales:forecast"), PERIOD).text

    amount, count = expected_total(org.director, "CNY")
    assert amount == Decimal("4577.50") and count == 4
    total_row = html[html.index('data-total="CNY"') :]
    total_row = total_row[: total_row.index("</tr>")]
    assert "¥4,577.50" in total_row
    assert f"<td data-total-count>{count}</td>" in total_row
    assert 'data-total="USD"' in html


def test_forecast_csv_sums_equal_the_opportunities(client, org, deals):
    client.force_login(org.director)

    response = client.get(reverse("sales:forecast"), {**PERIOD, "format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    total_index = header.index("Total")
    lines = [r for r in body if r[0] != "Total" and r[2] == "CNY"]
    totals = [r for r in body if r[0] == "Total" and r[2] == "CNY"]
    assert sum(Decimal(r[total_index]) for r in lines) == Decimal("4577.50")
    assert Decimal(totals[0][total_index]) == Decimal("4577.50")
    weighted = sum(
        o.weighted_amount
        for o in Opportunity.objects.filter(currency="CNY", expected_close_date__year=2026).exclude(
            stage__kind="lost"
        )
    )
    assert Decimal(totals[0][header.index("Weighted")]) == weighted


def test_forecast_per_category(client, org, deals):
    client.force_login(org.director)

    response = client.get(reverse("sales:forecast"), {**PERIOD, "format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    total = next(r for r in rows if r[0] == "Total" and r[2] == "CNY")
    assert Decimal(total[header.index("Commit")]) == Decimal("2500.50")
    assert Decimal(total[header.index("Closed")]) == Decimal("777.00")
    assert Decimal(total[header.index("Pipeline")]) == Decimal("1300.00")


def test_forecast_by_team_and_for_one_rep(client, org, deals):
    client.force_login(org.director)

    by_team = client.get(reverse("sales:forecast"), {**PERIOD, "group_by": "team"}).text
    one_rep = client.get(
        reverse("sales:forecast"), {**PERIOD, "owner": org.east_rep.pk, "format": "csv"}
    )

    assert "East" in by_team and "West" in by_team
    rows = list(csv.reader(io.StringIO(one_rep.content.decode("utf-8-sig"))))
    total = next(r for r in rows if r[0] == "Total" and r[2] == "CNY")
    assert Decimal(total[rows[0].index("Total")]) == Decimal("3500.50")


def test_forecast_of_a_rep_counts_only_what_they_see(client, org, deals):
    client.force_login(org.east_rep)

    html = client.get(reverse("sales:forecast"), PERIOD).text

    amount, _count = expected_total(org.east_rep, "CNY")
    assert amount == Decimal("3500.50")
    total_row = html[html.index('data-total="CNY"') :]
    assert "¥3,500.50" in total_row[: total_row.index("</tr>")]
    assert 'data-total="USD"' not in html


def test_forecast_by_quarter(client, org, deals):
    client.force_login(org.director)

    html = client.get(reverse("sales:forecast"), {**PERIOD, "period": "quarter"}).text

    table = html[html.index('id="forecast-table"') :]
    assert "2026 Q4" in table and "2026-10" not in table


def test_forecast_with_a_bad_period_keeps_working(client, org, deals):
    client.force_login(org.director)

    response = client.get(reverse("sales:forecast"), {"start": "2026-12-31", "end": "2026-01-01"})

    assert response.status_code == 200
    assert "The end comes before the start." in response.text


def test_forecast_has_a_chart(client, org, deals):
    client.force_login(org.director)

    html = client.get(reverse("sales:forecast"), PERIOD).text

    assert 'id="forecast-chart"' in html and 'id="forecast-data"' in html
    assert "echarts.min.js" in html


def test_velocity_page_shows_win_rate_deal_size_and_days_per_stage(client, org, deals):
    client.force_login(org.director)
    today = dt.date.today()

    html = client.get(
        reverse("sales:velocity"), {"start": (today - dt.timedelta(days=5)).isoformat()}
    ).text

    # one won (777) and one lost: 50 %
    assert '<div class="fs-4" id="win-rate">50.0 %</div>' in html
    assert "¥777.00" in html
    assert 'id="velocity-table"' in html and "Prospecting" in html


def test_objection_report_counts_by_type_rep_and_period(client, org, deals):
    today = dt.date.today()
    first, second = deals[0], deals[2]
    log_objection(org.east_rep, first, {"type": "price", "description": "贵"})
    done = log_objection(org.east_rep, first, {"type": "price", "description": "还是贵"})
    update_objection(org.east_rep, done, {"resolved": True}, expected_version=done.version)
    log_objection(org.east_rep2, second, {"type": "timing", "description": "明年再说"})
    client.force_login(org.director)

    html = client.get(
        reverse("sales:objection-report"),
        {"start": (today - dt.timedelta(days=1)).isoformat(), "end": today.isoformat()},
    ).text

    price = html[html.index('data-type="price"') :]
    price = price[: price.index("</tr>")]
    assert "<td>2</td><td>1</td><td>50.0</td>" in price
    assert "3 objections raised in the period, 1 resolved." in html
    by_rep = html[html.index('id="by-rep"') :]
    assert str(org.east_rep) in by_rep and str(org.east_rep2) in by_rep


def test_forecast_lines_show_each_reps_amounts_and_escape_names(client, org, deals):
    org.east_rep.first_name, org.east_rep.last_name = "<b>Li</b>", "Lei"
    org.east_rep.save()
    client.force_login(org.director)

    html = client.get(reverse("sales:forecast"), PERIOD).text

    body = html[html.index("<tbody>") : html.index("</tbody>")]
    assert "<b>Li</b>" not in body and "&lt;b&gt;Li&lt;/b&gt;" in body
    east_november = next(row for row in body.split("<tr>") if "2026-11" in row and "Li" in row)
    assert "<td>¥2,500.50</td>" in east_november  # the deal's amount, under its category
    assert '<td class="fw-semibold">¥2,500.50</td>' in east_november  # the line's total
    assert body.count("<tr>") == 5  # east_rep Oct and Nov, east_rep2, west_rep CNY and USD


def test_forecast_in_chinese_formats_amounts_as_the_money_filter(client, org, deals):
    org.director.language = "zh-hans"
    org.director.save()
    client.force_login(org.director)

    html = client.get(reverse("sales:forecast"), PERIOD).text

    body = html[html.index("<tbody>") : html.index("</tbody>")]
    assert "¥2500.50" in body and "¥2,500.50" not in body
