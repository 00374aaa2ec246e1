"""Opportunity pages: list with filters, detail tabs, forms, stage control, objections,
decision makers, timeline and delete."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.core.models import ChangeLogEntry, DeletedRecord, Note
from guanxi.customers.services import create_contact
from guanxi.sales.models import Objection, Opportunity, OpportunityContact, StageHistory

from .helpers import make_account, make_opp, stage

pytestmark = pytest.mark.django_db


def test_list_shows_the_users_opportunities_with_amount(client, org):
    opp = make_opp(org.east_rep, amount="12345.60", name="云服务")
    client.force_login(org.east_rep)

    html = client.get(reverse("sales:opportunity-list")).content.decode()

    assert f'data-id="{opp.pk}"' in html
    assert "云服务" in html
    assert "¥12,345.60" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "Negotiation"}, {"big"}),
        ({"amount_min": "5000"}, {"big"}),
        ({"amount_max": "5000"}, {"small", "late"}),
        ({"close_after": "2027-01-01"}, {"late"}),
        ({"close_before": "2026-12-31"}, {"small", "big"}),
        ({"forecast_category": "commit"}, {"big"}),
        ({"q": "late"}, {"late"}),
    ],
)
def test_list_filters(client, org, params, expected):
    account = make_account(org.east_rep)
    make_opp(org.east_rep, account, "100", dt.date(2026, 12, 1), name="small")
    make_opp(
        org.east_rep, account, "9000", dt.date(2026, 12, 2), name="big", stage_name="Negotiation"
    )
    make_opp(org.east_rep, account, "300", dt.date(2027, 3, 1), name="late")
    if "stage" in params:
        params = {"stage": stage(params["stage"]).pk}
    client.force_login(org.east_rep)

    response = client.get(reverse("sales:opportunity-list"), params)

    shown = {o.name for o in Opportunity.objects.all() if f'data-id="{o.pk}"' in response.text}
    assert shown == expected


def test_list_filtered_by_account_offers_to_create_for_it(client, org):
    account = make_account(org.east_rep, "甲公司")
    other = make_opp(org.east_rep, name="other")
    mine = make_opp(org.east_rep, account, name="mine")
    client.force_login(org.east_rep)

    html = client.get(reverse("sales:opportunity-list"), {"account": account.pk}).text

    assert f'data-id="{mine.pk}"' in html and f'data-id="{other.pk}"' not in html
    assert f"{reverse('sales:opportunity-create')}?account={account.pk}" in html


@pytest.mark.parametrize(
    "tab", ["overview", "decision_makers", "objections", "stages", "timeline", "history"]
)
def test_detail_tabs_render(client, org, tab):
    opp = make_opp(org.east_rep, stage_name="Proposal")
    client.force_login(org.east_rep)

    response = client.get(opp.get_absolute_url(), {"tab": tab})

    assert response.status_code == 200
    assert f'data-tab-panel="{tab}"' in response.text


def test_create_from_the_account_page_prefills_the_account(client, org):
    account = make_account(org.east_rep, "乙公司")
    client.force_login(org.east_rep)

    page = client.get(reverse("sales:opportunity-create"), {"account": account.pk})
    response = client.post(
        reverse("sales:opportunity-create"),
        {
            "name": "乙公司 ERP",
            "account": account.pk,
            "pipeline": opp_pipeline_pk(),
            "amount": "50000",
            "currency": "CNY",
            "expected_close_date": "2026-11-30",
        },
    )

    assert "乙公司" in page.text and f'value="{account.pk}"' in page.text
    opp = Opportunity.objects.get(name="乙公司 ERP")
    assert response.status_code == 302 and response["Location"] == opp.get_absolute_url()
    assert opp.account == account and opp.owner == org.east_rep
    assert opp.stage.name == "Prospecting" and opp.amount == Decimal("50000")


def opp_pipeline_pk():
    from guanxi.sales.models import Pipeline

    return Pipeline.default().pk


def test_account_picker_refuses_an_account_the_user_cannot_see(client, org):
    hidden = make_account(org.west_rep, "West only")
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:opportunity-create"),
        {
            "name": "Sneaky",
            "account": hidden.pk,
            "pipeline": opp_pipeline_pk(),
            "amount": "1",
            "currency": "CNY",
        },
    )

    assert response.status_code == 200
    assert "is-invalid" in response.text
    assert not Opportunity.objects.filter(name="Sneaky").exists()


def test_negative_amount_is_shown_next_to_the_field(client, org):
    account = make_account(org.east_rep)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:opportunity-create"),
        {
            "name": "Bad",
            "account": account.pk,
            "pipeline": opp_pipeline_pk(),
            "amount": "-5",
            "currency": "CNY",
        },
    )

    assert response.status_code == 200
    assert 'id="field-amount"' in response.text or "amount" in response.text
    assert not Opportunity.objects.filter(name="Bad").exists()


def test_edit_keeps_the_stage_and_logs_the_change(client, org):
    opp = make_opp(org.east_rep, stage_name="Proposal")
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:opportunity-edit", args=[opp.pk]),
        {
            "name": "Renamed",
            "account": opp.account_id,
            "amount": "2000",
            "currency": "CNY",
            "expected_close_date": "2026-12-01",
            "probability": "60",
            "forecast_category": "best_case",
            "version": opp.version,
        },
    )

    assert response.status_code == 302
    opp.refresh_from_db()
    assert (opp.name, opp.probability, opp.forecast_category) == ("Renamed", 60, "best_case")
    assert opp.stage.name == "Proposal"
    assert ChangeLogEntry.objects.filter(object_type="opportunity", object_id=opp.pk).exists()


def test_edit_on_an_old_version_shows_the_conflict(client, org):
    opp = make_opp(org.east_rep)
    old = opp.version
    from guanxi.sales.services import update_opportunity

    update_opportunity(org.east_manager, opp, {"name": "Theirs"}, expected_version=old)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:opportunity-edit", args=[opp.pk]),
        {
            "name": "Mine",
            "account": opp.account_id,
            "amount": "1000",
            "currency": "CNY",
            "probability": "10",
            "forecast_category": "pipeline",
            "version": old,
        },
    )

    assert response.status_code == 409
    assert Opportunity.objects.get(pk=opp.pk).name == "Theirs"


def test_stage_control_moves_the_opportunity(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:opportunity-move", args=[opp.pk]),
        {"stage": stage("Negotiation").pk, "version": opp.version},
    )

    assert response.status_code == 302
    opp.refresh_from_db()
    assert opp.stage.name == "Negotiation" and opp.probability == 75
    assert StageHistory.objects.filter(opportunity=opp).count() == 2


def test_stage_control_to_lost_without_reason_shows_the_error_at_the_field(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:opportunity-move", args=[opp.pk]),
        {"stage": stage("Closed lost").pk, "version": opp.version, "loss_reason": ""},
    )

    assert response.status_code == 200
    assert "Say why the deal was lost." in response.text
    assert 'name="loss_reason"' in response.text and "is-invalid" in response.text
    assert Opportunity.objects.get(pk=opp.pk).stage.name == "Prospecting"


def test_stage_control_to_lost_with_reason(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    client.post(
        reverse("sales:opportunity-move", args=[opp.pk]),
        {"stage": stage("Closed lost").pk, "version": opp.version, "loss_reason": "预算不足"},
    )

    opp.refresh_from_db()
    assert opp.stage.name == "Closed lost" and opp.loss_reason == "预算不足"
    assert opp.closed_at is not None


def test_stage_control_on_an_old_version_changes_nothing(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:opportunity-move", args=[opp.pk]),
        {"stage": stage("Proposal").pk, "version": opp.version - 1 or 99},
        follow=True,
    )

    assert "Someone else changed this opportunity" in response.text
    assert Opportunity.objects.get(pk=opp.pk).stage.name == "Prospecting"


def test_stage_history_tab_shows_days_per_stage(client, org):
    opp = make_opp(org.east_rep, stage_name="Proposal")
    client.force_login(org.east_rep)

    html = client.get(opp.get_absolute_url(), {"tab": "stages"}).text

    assert "Prospecting" in html and "Proposal" in html
    assert 'id="stage-days"' in html


def test_log_and_resolve_an_objection(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    client.post(
        reverse("sales:objection-add", args=[opp.pk]),
        {"type": "price", "description": "太贵了", "handling": ""},
    )
    objection = Objection.objects.get(opportunity=opp)
    client.post(
        reverse("sales:objection-update", args=[objection.pk]),
        {
            f"objection-{objection.pk}-handling": "offered a volume discount",
            f"objection-{objection.pk}-resolved": "on",
            f"objection-{objection.pk}-version": objection.version,
        },
    )

    objection.refresh_from_db()
    assert objection.type == "price" and objection.owner == org.east_rep
    assert objection.resolved and objection.handling == "offered a volume discount"
    html = client.get(opp.get_absolute_url(), {"tab": "objections"}).text
    assert "太贵了" in html and "data-resolved" in html


def test_objection_without_text_shows_the_error(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:objection-add", args=[opp.pk]), {"type": "price", "description": ""}
    )

    assert response.status_code == 200
    assert 'data-tab-panel="objections"' in response.text
    assert not Objection.objects.exists()


def test_decision_makers_are_contacts_of_the_account_with_roles(client, org):
    account = make_account(org.east_rep)
    boss = create_contact(org.east_rep, {"name": "王总", "account": account})
    engineer = create_contact(org.east_rep, {"name": "李工", "account": account})
    create_contact(org.east_rep, {"name": "Elsewhere"})
    opp = make_opp(org.east_rep, account)
    client.force_login(org.east_rep)

    page = client.get(opp.get_absolute_url(), {"tab": "decision_makers"}).text
    client.post(
        reverse("sales:decision-makers", args=[opp.pk]),
        {
            f"role_{boss.pk}": "economic_buyer",
            f"role_{engineer.pk}": "technical_buyer",
            "version": opp.version,
        },
    )

    assert "王总" in page and "Elsewhere" not in page
    makers = dict(
        OpportunityContact.objects.filter(opportunity=opp).values_list("contact__name", "role")
    )
    assert makers == {"王总": "economic_buyer", "李工": "technical_buyer"}
    entry = ChangeLogEntry.objects.filter(object_type="opportunity", object_id=opp.pk).first()
    assert "decision_makers" in entry.changes


def test_timeline_logs_a_note_on_the_opportunity(client, org):
    opp = make_opp(org.east_rep)
    client.force_login(org.east_rep)

    client.post(
        reverse("sales:opportunity-timeline", args=[opp.pk]),
        {"kind": "call", "subject": "Discussed pricing", "occurred_at": "2026-05-01T10:00"},
    )

    assert Note.objects.filter(object_id=opp.pk, subject="Discussed pricing").exists()
    html = client.get(opp.get_absolute_url(), {"tab": "timeline"}).text
    assert "Discussed pricing" in html


def test_delete_moves_the_opportunity_and_its_objections_to_the_recycle_bin(client, org):
    opp = make_opp(org.east_rep)
    from guanxi.sales.services import log_objection

    log_objection(org.east_rep, opp, {"type": "need", "description": "不需要"})
    client.force_login(org.east_rep)

    response = client.post(
        reverse("sales:opportunity-delete", args=[opp.pk]), {"version": opp.version}
    )

    assert response.status_code == 302
    assert not Opportunity.objects.filter(pk=opp.pk).exists()
    assert not Objection.objects.filter(opportunity_id=opp.pk).exists()
    assert DeletedRecord.objects.filter(object_type="opportunity", object_id=opp.pk).exists()


def test_account_page_links_to_its_opportunities_and_a_new_one(client, org):
    account = make_account(org.east_rep)
    make_opp(org.east_rep, account)
    client.force_login(org.east_rep)

    html = client.get(account.get_absolute_url()).text

    assert f"{reverse('sales:opportunity-list')}?account={account.pk}" in html
    assert f"{reverse('sales:opportunity-create')}?account={account.pk}" in html


def list_queries(client, org, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = make_account(org.east_rep)
    for i in range(count):
        make_opp(org.east_rep, account, str(i + 1), stage_name="Proposal" if i % 2 else None)
    client.force_login(org.east_rep)
    url = reverse("sales:opportunity-list")
    params = {"per_page": 200, "columns": "name,account,stage,amount,owner,team,tags,pipeline"}
    client.get(url, params)  # warm the session and caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    assert response.text.count('<tr data-id="') == count
    return len(queries.captured_queries)


def test_list_query_count_is_the_same_for_10_and_100_opportunities(client, org):
    small = list_queries(client, org, 10)
    Opportunity.all_objects.all().delete()
    big = list_queries(client, org, 100)

    assert small == big


def test_account_timeline_shows_what_was_logged_on_its_deals_and_converted_leads(client, org):
    from guanxi.core import services as core
    from guanxi.leads.models import Lead
    from guanxi.leads.services import create_lead

    account = make_account(org.east_rep, "华为")
    mine = make_opp(org.east_rep, account, name="Routers")
    theirs = make_opp(org.admin, account, name="Switches", owner=org.west_rep)
    lead = create_lead(org.east_rep, {"person_name": "王五", "company": "华为"})
    Lead.all_objects.filter(pk=lead.pk).update(status="converted", converted_account=account)
    core.add_note(org.east_rep, mine, {"kind": "call", "subject": "Price call"})
    core.add_note(org.admin, theirs, {"kind": "note", "subject": "West secret"})
    core.add_note(org.east_rep, lead, {"kind": "visit", "subject": "First visit"})
    core.add_note(org.east_rep, make_opp(org.east_rep, name="Elsewhere"), {"subject": "Other"})
    assert not Opportunity.objects.visible_to(org.east_rep).filter(pk=theirs.pk).exists()
    client.force_login(org.east_rep)

    html = client.get(account.get_absolute_url(), {"tab": "timeline"}).text

    assert "Price call" in html and "First visit" in html
    assert "West secret" not in html  # a deal the rep may not see keeps its notes to itself
    assert "Other" not in html  # another account's deal
    assert f'<a href="{mine.get_absolute_url()}">Routers</a>' in html
    assert f'<a href="{lead.get_absolute_url()}">' in html
    assert html.index("First visit") < html.index("Price call")  # newest first
    client.force_login(org.admin)
    assert "West secret" in client.get(account.get_absolute_url(), {"tab": "timeline"}).text
