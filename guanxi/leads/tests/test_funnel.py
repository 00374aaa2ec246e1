"""The lead funnel: exact counts, rates, hours to first contact and campaign costs per group,
scoped to the leads a user may see; the page and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from guanxi.core.services import delete_record
from guanxi.leads import funnel
from guanxi.leads.models import Lead
from guanxi.marketing.models import Campaign
from guanxi.sales.tests.helpers import make_opp

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00"))


def lead(owner, created, hours=None, **fields):
    """A lead created at ``created``, first contacted ``hours`` later (None: never)."""
    contacted = created + dt.timedelta(hours=hours) if hours is not None else None
    return Lead.all_objects.create(
        person_name=fields.pop("name", "L"),
        owner=owner,
        team=owner.team if owner else None,
        created_at=created,
        updated_at=created,
        first_contacted_at=contacted,
        **fields,
    )


@pytest.fixture
def data(org):
    """Eight leads in range (five of the East rep, three of the West rep), one before the range
    and one deleted; campaign A (1,000 CNY, five leads), B (600 USD, two leads), C (no cost).

    | lead | owner | source     | campaign | created    | contact | outcome                |
    | L1   | east  | web_form   | A        | 2026-03-01 | 2 h     | converted, won          |
    | L2   | east  | web_form   | A        | 2026-03-05 | 4 h     | converted, open deal    |
    | L3   | east  | web_form   | A        | 2026-03-10 | 13 h    | qualified               |
    | L4   | east  | trade_show | B        | 2026-04-02 | 1 h     | disqualified            |
    | L5   | east  | trade_show | —        | 2026-04-03 | never   | new                     |
    | L6   | west  | web_form   | A        | 2026-04-10 | 7 h     | converted, won          |
    | L7   | west  | referral   | C        | 2026-04-11 | 3 h     | contacted               |
    | L8   | west  | trade_show | B        | 2026-04-12 | 30 h    | converted, lost deal    |
    """
    a = Campaign.objects.create(name="A", cost=Decimal("1000"), currency="CNY")
    b = Campaign.objects.create(name="B", cost=Decimal("600"), currency="USD")
    c = Campaign.objects.create(name="C")
    won1 = make_opp(org.admin, stage_name="Closed won")
    open2 = make_opp(org.admin)
    won6 = make_opp(org.admin, stage_name="Closed won")
    lost8 = make_opp(org.admin, stage_name="Closed lost")
    east, west = org.east_rep, org.west_rep
    converted = {"status": "converted", "qualified_at": at("2026-04-20")}
    leads = {
        "L1": lead(east, at("2026-03-01"), 2, source="web_form", campaign=a,
                   converted_opportunity=won1, **converted),
        "L2": lead(east, at("2026-03-05"), 4, source="web_form", campaign=a,
                   converted_opportunity=open2, **converted),
        "L3": lead(east, at("2026-03-10"), 13, source="web_form", campaign=a,
                   status="qualified", qualified_at=at("2026-03-12")),
        "L4": lead(east, at("2026-04-02"), 1, source="trade_show", campaign=b,
                   status="disqualified", disqualify_reason="no budget"),
        "L5": lead(east, at("2026-04-03"), None, source="trade_show"),
        "L6": lead(west, at("2026-04-10"), 7, source="web_form", campaign=a,
                   converted_opportunity=won6, **converted),
        "L7": lead(west, at("2026-04-11"), 3, source="referral", campaign=c,
                   status="contacted"),
        "L8": lead(west, at("2026-04-12"), 30, source="trade_show", campaign=b,
                   converted_opportunity=lost8, status="converted"),
        "L9": lead(east, at("2025-12-20"), 1, source="web_form", campaign=a),
        "L10": lead(east, at("2026-03-02"), 1, source="web_form", campaign=a),
    }  # fmt: skip
    delete_record(org.admin, leads["L10"], expected_version=None)
    return {"a": a, "b": b, "c": c, "leads": leads}


def rows_by_key(report):
    return {row.key: row for row in report.rows}


def run(user, group_by="source", **kwargs):
    return funnel.funnel(user, start=START, end=END, group_by=group_by, **kwargs)


def test_total_counts_each_stage_once_in_range_and_alive(org, data):
    total = run(org.director).total
    assert (total.leads, total.qualified, total.opportunities, total.won) == (8, 5, 4, 2)
    assert total.contacted == 7


def test_conversion_rates_are_of_the_stage_before(org, data):
    total = run(org.director).total
    assert total.qualified_rate == 62.5
    assert total.opportunity_rate == 80.0
    assert total.win_rate == 50.0
    assert total.overall_rate == 25.0


def test_hours_to_first_contact_average_and_median(org, data):
    total = run(org.director).total
    # 2, 4, 13, 1, 7, 3, 30 hours; L5 was never contacted
    assert total.avg_hours_to_contact == 8.6
    assert total.median_hours_to_contact == 4.0


def test_by_source(org, data):
    rows = rows_by_key(run(org.director, "source"))
    web, fair, referral = rows["web_form"], rows["trade_show"], rows["referral"]
    assert web.stages == [4, 4, 3, 2]
    assert (web.avg_hours_to_contact, web.median_hours_to_contact) == (6.5, 5.5)
    assert (web.qualified_rate, web.opportunity_rate, web.win_rate) == (100.0, 75.0, 66.7)
    assert fair.stages == [3, 1, 1, 0]
    assert (fair.avg_hours_to_contact, fair.median_hours_to_contact) == (15.5, 15.5)
    assert referral.stages == [1, 0, 0, 0]
    assert web.label == "Web form" and fair.label == "Trade show"
    assert [row.key for row in run(org.director, "source").rows][0] == "web_form"


def test_cost_per_lead_and_per_win_by_source(org, data):
    rows = rows_by_key(run(org.director, "source"))
    # campaign A: 1,000 CNY over its five live leads (one before the range) = 200 a lead
    web = rows["web_form"]
    assert web.cost == {"CNY": Decimal("800")}
    assert web.cost_per_lead == {"CNY": Decimal("200.00")}
    assert web.cost_per_win == {"CNY": Decimal("400.00")}
    # campaign B: 600 USD over two leads, none won: no cost per win
    fair = rows["trade_show"]
    assert fair.cost == {"USD": Decimal("600")}
    assert fair.cost_per_lead == {"USD": Decimal("300.00")}
    assert fair.cost_per_win == {}
    # campaign C has no cost
    assert rows["referral"].cost == {}


def test_total_costs_are_per_currency(org, data):
    total = run(org.director).total
    assert total.rounded_cost() == {"CNY": Decimal("800.00"), "USD": Decimal("600.00")}
    assert total.cost_per_lead == {"CNY": Decimal("200.00"), "USD": Decimal("300.00")}
    assert total.cost_per_win == {"CNY": Decimal("400.00")}


def test_by_campaign(org, data):
    rows = rows_by_key(run(org.director, "campaign"))
    a, b, c, none = rows[data["a"].pk], rows[data["b"].pk], rows[data["c"].pk], rows[None]
    assert a.stages == [4, 4, 3, 2] and a.label == "A"
    assert a.cost_per_lead == {"CNY": Decimal("200.00")}
    assert a.cost_per_win == {"CNY": Decimal("400.00")}
    assert b.stages == [2, 1, 1, 0] and b.cost == {"USD": Decimal("600")}
    assert c.stages == [1, 0, 0, 0] and c.cost == {}
    assert none.stages == [1, 0, 0, 0] and none.label == "No campaign"


def test_by_owner(org, data):
    rows = rows_by_key(run(org.director, "owner"))
    east, west = rows[org.east_rep.pk], rows[org.west_rep.pk]
    assert east.stages == [5, 3, 2, 1]
    assert (east.avg_hours_to_contact, east.median_hours_to_contact) == (5.0, 3.0)
    assert east.cost_per_lead == {"CNY": Decimal("200.00"), "USD": Decimal("300.00")}
    assert east.cost_per_win == {"CNY": Decimal("600.00")}
    assert west.stages == [3, 2, 2, 1]
    assert (west.avg_hours_to_contact, west.median_hours_to_contact) == (13.3, 7.0)
    assert west.cost_per_win == {"CNY": Decimal("200.00")}
    assert east.label == str(org.east_rep)


def test_by_month_of_creation(org, data):
    report = run(org.director, "period")
    assert [row.key for row in report.rows] == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    march, april = report.rows
    assert march.label == "2026-03" and march.stages == [3, 3, 2, 1]
    assert april.stages == [5, 2, 2, 1]
    assert march.cost == {"CNY": Decimal("600")}


def test_by_quarter(org, data):
    report = run(org.director, "period", period="quarter")
    assert [(row.label, row.leads) for row in report.rows] == [("2026 Q1", 3), ("2026 Q2", 5)]


def test_groups_add_up_to_the_total(org, data):
    for group_by in funnel.GROUPINGS:
        report = run(org.director, group_by)
        sums = funnel.group_totals(report)
        total = report.total
        assert sums == {
            "leads": total.leads,
            "qualified": total.qualified,
            "opportunities": total.opportunities,
            "won": total.won,
            "contacted": total.contacted,
        }


def test_a_rep_sees_only_their_leads(org, data):
    report = run(org.east_rep, "source")
    assert report.total.stages == [5, 3, 2, 1]
    assert set(rows_by_key(report)) == {"web_form", "trade_show"}
    # the cost share of a lead is the campaign's, whoever sees its other leads
    assert rows_by_key(report)["web_form"].cost == {"CNY": Decimal("600")}


def test_a_manager_sees_the_team_and_another_rep_sees_nothing_of_it(org, data):
    assert run(org.east_manager).total.leads == 5
    assert run(org.west_rep).total.stages == [3, 2, 2, 1]
    assert run(org.read_only).total.leads == 0


def test_the_range_is_whole_days(org, data):
    report = funnel.funnel(
        org.director, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 5), group_by="source"
    )
    assert report.total.leads == 2  # L1 (1 March) and L2 (5 March, 10:00)


def test_a_deleted_opportunity_is_no_longer_an_opportunity(org, data):
    opportunity = data["leads"]["L2"].converted_opportunity
    delete_record(org.admin, opportunity, expected_version=None)
    total = run(org.director).total
    assert (total.qualified, total.opportunities, total.won) == (5, 3, 2)


def test_the_funnel_is_a_few_queries_whatever_the_leads(org, data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        user = type(org.director).objects.get(pk=org.director.pk)  # no cached rights
        with CaptureQueriesContext(connection) as ctx:
            run(user, "campaign")
        return len(ctx.captured_queries)

    cold = queries()  # access policies and campaign lead counts are cached after the first
    warm = queries()
    for i in range(30):
        campaign = Campaign.objects.create(name=f"More {i}", cost=Decimal("10"))
        lead(org.east_rep, at("2026-05-01"), i, source="other", campaign=campaign)
    assert queries() <= cold <= 12
    assert queries() == warm


def test_no_leads_gives_empty_rows_and_no_rates(org):
    report = run(org.director)
    assert report.rows == []
    assert report.total.leads == 0 and report.total.overall_rate is None
    assert report.total.median_hours_to_contact is None


# -- the page ---------------------------------------------------------------------------------


def test_page_shows_the_funnel_chart_data_and_a_row_per_group(client, org, data):
    client.force_login(org.director)
    response = client.get(
        reverse("funnel:report"), {"start": "2026-01-01", "end": "2026-06-30", "group_by": "owner"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="funnel-data"' in html and "vendor/echarts/echarts.min.js" in html
    assert f'data-group="{org.east_rep.pk}"' in html and f'data-group="{org.west_rep.pk}"' in html
    assert response.context["chart"]["total"] == [8, 5, 4, 2]
    assert response.context["report"].total.won == 2


def test_page_is_scoped_to_the_user(client, org, data):
    client.force_login(org.west_rep)
    response = client.get(reverse("funnel:report"), {"start": "2026-01-01", "end": "2026-06-30"})
    assert response.context["report"].total.leads == 3


def test_page_shows_a_bad_range_next_to_the_field_and_falls_back(client, org, data):
    client.force_login(org.director)
    response = client.get(reverse("funnel:report"), {"start": "2026-06-30", "end": "2026-01-01"})
    assert response.status_code == 200
    assert "The end comes before the start." in response.content.decode()


def test_page_exports_csv(client, org, data):
    client.force_login(org.director)
    response = client.get(
        reverse("funnel:report"),
        {"start": "2026-01-01", "end": "2026-06-30", "group_by": "campaign", "format": "csv"},
    )
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert "A,4,4,3,2,50.0,4,6.5,5.5,CNY,800.00,200.00,400.00" in body


def test_page_needs_a_login(client):
    response = client.get(reverse("funnel:report"))
    assert response.status_code == 302


def test_page_is_in_the_reports_menu(client, org):
    client.force_login(org.east_rep)
    response = client.get(reverse("home"))
    assert reverse("funnel:report") in response.content.decode()


# -- the API ----------------------------------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_funnel_by_source(org, data):
    response = api(org.director).get(
        "/api/v1/funnel/", {"group_by": "source", "start": "2026-01-01", "end": "2026-06-30"}
    )
    assert response.status_code == 200
    body = response.json()
    web = next(row for row in body["rows"] if row["key"] == "web_form")
    assert [web["leads"], web["qualified"], web["opportunities"], web["won"]] == [4, 4, 3, 2]
    assert web["costs"] == [
        {"currency": "CNY", "cost": "800.00", "per_lead": "200.00", "per_win": "400.00"}
    ]
    assert body["total"]["median_hours_to_contact"] == 4.0
    assert body["total"]["overall_rate"] == 25.0


def test_api_funnel_by_period_keys_are_dates(org, data):
    response = api(org.director).get(
        "/api/v1/funnel/",
        {"group_by": "period", "start": "2026-01-01", "end": "2026-06-30", "period": "month"},
    )
    assert [row["key"] for row in response.json()["rows"]] == ["2026-03-01", "2026-04-01"]


def test_api_funnel_is_scoped_and_filtered(org, data):
    response = api(org.east_rep).get(
        "/api/v1/funnel/", {"start": "2026-01-01", "end": "2026-06-30", "source": "web_form"}
    )
    assert response.json()["total"]["leads"] == 3


def test_api_funnel_rejects_bad_input_naming_the_field(org):
    client = api(org.director)
    assert "group_by" in client.get("/api/v1/funnel/", {"group_by": "colour"}).json()
    response = client.get("/api/v1/funnel/", {"start": "2026-06-30", "end": "2026-01-01"})
    assert response.status_code == 400 and "end" in response.json()


def test_api_funnel_needs_authentication():
    assert APIClient().get("/api/v1/funnel/").status_code in (401, 403)


def test_api_funnel_is_in_the_schema(org):
    response = api(org.admin).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    assert "/api/v1/funnel/" in paths and "/api/v1/funnel/predictive/" in paths
