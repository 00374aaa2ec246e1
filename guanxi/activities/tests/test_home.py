"""The home page: a rep's day and pipeline, a manager's team, pipeline, forecast and late work."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.activities import services
from guanxi.leads.models import AssignmentRule, Lead
from guanxi.leads.services import mark_contacted
from guanxi.sales.tests.helpers import make_opp

from .helpers import make_account, make_activity, make_lead

pytestmark = pytest.mark.django_db


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def test_rep_sees_todays_and_overdue_activities_not_later_ones(client, org):
    now = timezone.now()
    make_activity(org.east_rep, "Overdue", due_at=now - dt.timedelta(days=2))
    make_activity(org.east_rep, "Due now", due_at=now)
    make_activity(org.east_rep, "Next week", due_at=now + dt.timedelta(days=7))
    done = make_activity(org.east_rep, "Already done", due_at=now)
    services.complete_activity(org.east_rep, done)
    make_activity(org.east_rep2, "Colleague's", due_at=now)

    response = home(client, org.east_rep)

    assert [a.subject for a in response.context["today"]] == ["Overdue", "Due now"]
    assert response.context["today_total"] == 2
    assert "Overdue" in response.content.decode()


def test_rep_sees_leads_not_contacted_yet_oldest_first(client, org):
    first = make_lead(org.east_rep, "最早")
    second = make_lead(org.east_rep, "其次")
    contacted = make_lead(org.east_rep, "已联系")
    mark_contacted(org.east_rep, contacted)
    Lead.all_objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    make_lead(org.west_rep, "别人的")

    response = home(client, org.east_rep)

    assert [lead.pk for lead in response.context["leads_to_contact"]] == [first.pk, second.pk]
    assert response.context["leads_total"] == 2


def test_rep_sees_their_open_pipeline_summed_by_stage(client, org):
    account = make_account(org.east_rep)
    make_opp(org.east_rep, account, amount="1000", stage_name="Proposal")
    make_opp(org.east_rep, account, amount="500", stage_name="Proposal")
    make_opp(org.east_rep, account, amount="300")
    make_opp(org.east_rep, account, amount="9999", stage_name="Closed won")

    response = home(client, org.east_rep)

    pipeline = response.context["my_pipeline"]
    sums = {row.name: (row.count, row.totals["CNY"]) for row in pipeline.stages}
    assert sums == {"Prospecting": (1, Decimal("300")), "Proposal": (2, Decimal("1500"))}
    body = response.content.decode()
    chart = json.loads(body.split('id="my-pipeline-data"', 1)[1].split(">", 1)[1].split("<")[0])
    assert chart["stages"] == ["Prospecting", "Proposal"]
    assert chart["series"][0]["data"] == [300.0, 1500.0]
    assert "manager-home" not in body


def test_manager_sees_the_team_pipeline_by_stage_and_rep(client, org):
    account = make_account(org.east_manager)
    make_opp(org.east_manager, account, amount="100", owner=org.east_rep)
    make_opp(org.east_manager, account, amount="200", owner=org.east_rep2)
    make_opp(org.west_rep, make_account(org.west_rep), amount="999")

    response = home(client, org.east_manager)

    team = response.context["team_pipeline"]
    (row,) = team.stages
    assert row.count == 2
    assert row.by_owner[org.east_rep.pk]["CNY"] == Decimal("100")
    assert row.by_owner[org.east_rep2.pk]["CNY"] == Decimal("200")
    chart = response.context["team_pipeline_chart"]
    assert {s["name"]: s["data"] for s in chart["series"]} == {
        str(org.east_rep): [100.0],
        str(org.east_rep2): [200.0],
    }
    assert 'id="manager-home"' in response.content.decode()


def test_manager_forecast_sums_the_quarters_deals(client, org):
    account = make_account(org.east_manager)
    today = timezone.localdate()
    make_opp(org.east_manager, account, amount="1000", close=today, owner=org.east_rep)
    make_opp(
        org.east_manager,
        account,
        amount="3000",
        close=today,
        owner=org.east_rep2,
        stage_name="Negotiation",
    )
    make_opp(
        org.east_manager,
        account,
        amount="7000",
        close=today + dt.timedelta(days=200),
        owner=org.east_rep,
    )

    response = home(client, org.east_manager)

    totals = response.context["forecast"].totals["CNY"]
    assert totals.amount == Decimal("4000.00")
    assert totals.count == 2
    # 10% of 1000 + 75% of 3000
    assert totals.weighted == Decimal("2350.00")


def test_manager_sees_overdue_follow_ups_of_the_team(client, org):
    now = timezone.now()
    make_activity(org.east_rep, "Late call", kind="call", due_at=now - dt.timedelta(days=1))
    make_activity(org.east_rep, "Not late", due_at=now + dt.timedelta(days=1))
    make_activity(org.west_rep, "Other team late", due_at=now - dt.timedelta(days=1))
    AssignmentRule.objects.create(name="East", team=org.east, contact_within_hours=4)
    late_lead = make_lead(org.east_manager, "超时", owner=org.east_rep)
    Lead.all_objects.filter(pk=late_lead.pk).update(assigned_at=now - dt.timedelta(hours=5))
    fresh = make_lead(org.east_manager, "刚分配", owner=org.east_rep)
    Lead.all_objects.filter(pk=fresh.pk).update(assigned_at=now - dt.timedelta(hours=1))

    response = home(client, org.east_manager)

    assert [a.subject for a in response.context["overdue_activities"]] == ["Late call"]
    assert [lead.pk for lead in response.context["overdue_leads"]] == [late_lead.pk]
    assert response.context["overdue_total"] == 2


def test_rep_without_a_team_to_manage_has_no_manager_blocks(client, org):
    response = home(client, org.east_rep)

    assert "is_manager" not in response.context
    assert "team_pipeline" not in response.context


def test_read_only_user_gets_a_home_page_without_pipeline(client, org):
    response = home(client, org.read_only)

    assert "my_pipeline" not in response.context
    assert response.context["today"] == []
