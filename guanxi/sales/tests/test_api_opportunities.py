"""/api/v1/opportunities/ and /api/v1/objections/: CRUD with ETags, the move action (If-Match,
lost needs a reason), objections, decision makers, forecast and kanban, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from guanxi.core.api.testing import client_for, count_queries, write
from guanxi.customers.services import create_contact
from guanxi.sales.models import Objection, Opportunity, OpportunityContact, Pipeline
from guanxi.sales.services import log_objection, move_stage

from .helpers import make_account, make_opp, stage

pytestmark = pytest.mark.django_db
URL = "/api/v1/opportunities/"


def detail(opp):
    return f"{URL}{opp.pk}/"


def test_create_starts_in_the_first_stage_and_answers_the_etag(org):
    account = make_account(org.east_rep)
    client = client_for(org.east_rep)

    response = write(
        client,
        "post",
        URL,
        {"name": "API deal", "account": account.pk, "amount": "1234.50", "currency": "USD"},
    )

    assert response.status_code == 201, response.data
    opp = Opportunity.objects.get(name="API deal")
    assert response["ETag"] == opp.etag
    assert response.data["stage_name"] == "Prospecting" and response.data["probability"] == 10
    assert response.data["weighted_amount"] == "123.45"
    assert response.data["owner"]["id"] == org.east_rep.pk


def test_create_on_an_invisible_account_is_400_naming_account(org):
    hidden = make_account(org.west_rep)

    response = write(
        client_for(org.east_rep), "post", URL, {"name": "x", "account": hidden.pk, "amount": "1"}
    )

    assert response.status_code == 400 and "account" in response.data
    assert not Opportunity.objects.filter(name="x").exists()


def test_create_with_a_negative_amount_is_400_naming_amount(org):
    account = make_account(org.east_rep)

    response = write(
        client_for(org.east_rep), "post", URL, {"name": "x", "account": account.pk, "amount": "-1"}
    )

    assert response.status_code == 400 and "amount" in response.data


def test_patch_needs_if_match_and_refuses_a_stale_one(org):
    opp = make_opp(org.east_rep)
    client = client_for(org.east_rep)

    missing = write(client, "patch", detail(opp), {"name": "New"})
    ok = write(client, "patch", detail(opp), {"name": "New"}, etag=opp.etag)
    stale = write(client, "patch", detail(opp), {"name": "Newer"}, etag=opp.etag)

    assert missing.status_code == 428
    assert ok.status_code == 200 and ok.data["name"] == "New"
    assert stale.status_code == 412 and stale["ETag"] == Opportunity.objects.get(pk=opp.pk).etag


def test_patch_cannot_move_the_stage(org):
    opp = make_opp(org.east_rep)

    response = write(
        client_for(org.east_rep),
        "patch",
        detail(opp),
        {"stage": stage("Negotiation").pk},
        etag=opp.etag,
    )

    assert response.status_code == 400 and "stage" in response.data
    assert Opportunity.objects.get(pk=opp.pk).stage.name == "Prospecting"


def test_put_of_what_was_read_keeps_the_stage(org):
    opp = make_opp(org.east_rep)
    client = client_for(org.east_rep)
    body = client.get(detail(opp)).data

    response = write(client, "put", detail(opp), {**body, "name": "Put"}, etag=opp.etag)

    assert response.status_code == 200, response.data
    assert response.data["name"] == "Put" and response.data["stage_name"] == "Prospecting"


def move(client, opp, stage_name, etag=None, **extra):
    return write(
        client, "post", f"{detail(opp)}move/", {"stage": stage(stage_name).pk, **extra}, etag=etag
    )


def test_move_goes_through_the_service(org):
    opp = make_opp(org.east_rep)
    client = client_for(org.east_rep)

    response = move(client, opp, "Negotiation", etag=opp.etag)

    assert response.status_code == 200
    assert response.data["stage_name"] == "Negotiation" and response.data["probability"] == 75
    assert response.data["forecast_category"] == "commit"
    assert response["ETag"] == Opportunity.objects.get(pk=opp.pk).etag


def test_move_without_if_match_is_428(org):
    opp = make_opp(org.east_rep)

    response = move(client_for(org.east_rep), opp, "Negotiation")

    assert response.status_code == 428
    assert Opportunity.objects.get(pk=opp.pk).stage.name == "Prospecting"


def test_move_on_a_stale_etag_is_412_with_the_current_one(org):
    opp = make_opp(org.east_rep)
    old = opp.etag
    move_stage(org.east_manager, opp, stage("Proposal"), expected_version=opp.version)

    response = move(client_for(org.east_rep), opp, "Negotiation", etag=old)

    current = Opportunity.objects.get(pk=opp.pk)
    assert response.status_code == 412 and response["ETag"] == current.etag
    assert current.stage.name == "Proposal"


def test_move_to_lost_without_reason_is_400_naming_loss_reason(org):
    opp = make_opp(org.east_rep)

    response = move(client_for(org.east_rep), opp, "Closed lost", etag=opp.etag)

    assert response.status_code == 400 and "loss_reason" in response.data
    assert Opportunity.objects.get(pk=opp.pk).stage.name == "Prospecting"


def test_move_to_lost_with_reason_and_to_won(org):
    lost = make_opp(org.east_rep)
    won = make_opp(org.east_rep)
    client = client_for(org.east_rep)

    a = move(client, lost, "Closed lost", etag=lost.etag, loss_reason="price")
    b = move(client, won, "Closed won", etag=won.etag)

    assert a.status_code == 200 and a.data["loss_reason"] == "price"
    assert b.status_code == 200 and b.data["closed_at"] is not None
    won.account.refresh_from_db()
    assert won.account.last_won_at is not None


def test_move_to_a_stage_of_another_pipeline_is_400(org):
    from guanxi.sales.services import create_pipeline

    other = create_pipeline(org.admin, "Other")
    opp = make_opp(org.east_rep)

    response = write(
        client_for(org.east_rep),
        "post",
        f"{detail(opp)}move/",
        {"stage": other.stages.first().pk},
        etag=opp.etag,
    )

    assert response.status_code == 400 and "stage" in response.data


def test_delete_goes_to_the_recycle_bin(org):
    opp = make_opp(org.east_rep)

    response = write(client_for(org.east_rep), "delete", detail(opp), etag=opp.etag)

    assert response.status_code == 204
    assert Opportunity.all_objects.get(pk=opp.pk).deleted_at is not None


def test_list_filters(org):
    account = make_account(org.east_rep)
    small = make_opp(org.east_rep, account, "100", dt.date(2026, 1, 5))
    big = make_opp(org.east_rep, account, "9000", dt.date(2026, 6, 5), stage_name="Negotiation")
    client = client_for(org.east_rep)

    def ids(**params):
        return {row["id"] for row in client.get(URL, params).data["results"]}

    assert ids(amount_min="5000") == {big.pk}
    assert ids(stage=stage("Negotiation").pk) == {big.pk}
    assert ids(close_before="2026-03-01") == {small.pk}
    assert ids(forecast_category="pipeline") == {small.pk}
    assert ids(account=account.pk) == {small.pk, big.pk}


def test_objections_of_an_opportunity(org):
    opp = make_opp(org.east_rep)
    client = client_for(org.east_rep)

    created = write(
        client,
        "post",
        f"{detail(opp)}objections/",
        {"type": "timing", "description": "下个季度再说", "handling": "follow up in Q3"},
    )
    listed = client.get(f"{detail(opp)}objections/")

    assert created.status_code == 201, created.data
    assert created.data["opportunity"] == opp.pk
    assert [o["description"] for o in listed.data] == ["下个季度再说"]


def test_objection_without_type_is_400(org):
    opp = make_opp(org.east_rep)

    response = write(
        client_for(org.east_rep), "post", f"{detail(opp)}objections/", {"description": "x"}
    )

    assert response.status_code == 400 and "type" in response.data


def test_objections_endpoint_resolves_with_if_match(org):
    opp = make_opp(org.east_rep)
    objection = log_objection(org.east_rep, opp, {"type": "price", "description": "贵"})
    client = client_for(org.east_rep)
    url = f"/api/v1/objections/{objection.pk}/"

    listed = client.get("/api/v1/objections/", {"opportunity": opp.pk, "resolved": False})
    missing = write(client, "patch", url, {"resolved": True})
    ok = write(
        client, "patch", url, {"resolved": True, "handling": "discount"}, etag=objection.etag
    )

    assert [o["id"] for o in listed.data["results"]] == [objection.pk]
    assert missing.status_code == 428
    assert ok.status_code == 200 and ok.data["resolved"] is True
    assert ok.data["opportunity"] == opp.pk


def test_objection_created_on_objections_endpoint(org):
    opp = make_opp(org.east_rep)

    response = write(
        client_for(org.east_rep),
        "post",
        "/api/v1/objections/",
        {"opportunity": opp.pk, "type": "product", "description": "缺少功能"},
    )

    assert response.status_code == 201, response.data
    assert Objection.objects.get(pk=response.data["id"]).opportunity == opp


def test_decision_makers_get_and_replace(org):
    account = make_account(org.east_rep)
    boss = create_contact(org.east_rep, {"name": "王总", "account": account})
    elsewhere = create_contact(org.east_rep, {"name": "Elsewhere"})
    opp = make_opp(org.east_rep, account)
    client = client_for(org.east_rep)
    url = f"{detail(opp)}decision-makers/"

    missing = write(client, "put", url, {"decision_makers": []})
    ok = write(
        client,
        "put",
        url,
        {"decision_makers": [{"contact": boss.pk, "role": "decision_maker"}]},
        etag=opp.etag,
    )
    current = Opportunity.objects.get(pk=opp.pk)
    wrong = write(
        client,
        "put",
        url,
        {"decision_makers": [{"contact": elsewhere.pk, "role": "user"}]},
        etag=current.etag,
    )
    listed = client.get(url)

    assert missing.status_code == 428
    assert ok.status_code == 200 and ok["ETag"] == current.etag
    assert wrong.status_code == 400 and "decision_makers" in wrong.data
    assert listed.data == [{"contact": boss.pk, "contact_name": "王总", "role": "decision_maker"}]
    assert OpportunityContact.objects.filter(opportunity=opp).count() == 1


# -- forecast and kanban ---------------------------------------------------------------------


@pytest.fixture
def deals(org):
    east = make_account(org.east_rep)
    west = make_account(org.west_rep)
    return [
        make_opp(org.east_rep, east, "1000.00", dt.date(2026, 10, 5)),
        make_opp(org.east_rep, east, "2500.50", dt.date(2026, 11, 20), stage_name="Negotiation"),
        make_opp(org.west_rep, west, "777", dt.date(2026, 12, 2), stage_name="Closed won"),
        make_opp(org.west_rep, west, "50", dt.date(2026, 12, 3), currency="USD"),
        make_opp(org.west_rep, west, "9999", dt.date(2026, 12, 4), stage_name="Closed lost"),
        make_opp(org.east_rep, east, "123", dt.date(2027, 1, 4)),
    ]


def test_forecast_sums_equal_the_opportunities(org, deals):
    response = client_for(org.director).get(
        f"{URL}forecast/", {"start": "2026-10-01", "end": "2026-12-31"}
    )

    assert response.status_code == 200
    in_period = Opportunity.objects.filter(
        expected_close_date__range=(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    ).exclude(stage__kind="lost")
    for currency in ("CNY", "USD"):
        deals_of = [o for o in in_period if o.currency == currency]
        rows = [r for r in response.data["rows"] if r["currency"] == currency]
        total = next(t for t in response.data["totals"] if t["currency"] == currency)
        expected = sum((o.amount for o in deals_of), Decimal("0"))
        weighted = sum((o.weighted_amount for o in deals_of), Decimal("0"))
        assert sum(Decimal(r["amount"]) for r in rows) == expected
        assert Decimal(total["amount"]) == expected
        assert Decimal(total["weighted"]) == weighted
        assert total["count"] == len(deals_of) == sum(r["count"] for r in rows)
    cny = next(t for t in response.data["totals"] if t["currency"] == "CNY")
    assert {k: Decimal(v) for k, v in cny["categories"].items()} == {
        "pipeline": Decimal("1000.00"),
        "commit": Decimal("2500.50"),
        "closed": Decimal("777.00"),
    }


def test_forecast_by_team_and_quarter(org, deals):
    response = client_for(org.director).get(
        f"{URL}forecast/",
        {"start": "2026-10-01", "end": "2026-12-31", "period": "quarter", "group_by": "team"},
    )

    teams = {(r["team"], r["period"]) for r in response.data["rows"]}
    assert teams == {(org.east.pk, "2026-10-01"), (org.west.pk, "2026-10-01")}
    assert all(r["owner"] is None for r in response.data["rows"])


def test_forecast_counts_only_what_the_caller_sees(org, deals):
    response = client_for(org.east_rep).get(
        f"{URL}forecast/", {"start": "2026-10-01", "end": "2026-12-31"}
    )

    assert [t["currency"] for t in response.data["totals"]] == ["CNY"]
    assert Decimal(response.data["totals"][0]["amount"]) == Decimal("3500.50")


def test_forecast_needs_a_valid_period(org):
    client = client_for(org.east_rep)

    missing = client.get(f"{URL}forecast/")
    reversed_ = client.get(f"{URL}forecast/", {"start": "2026-12-01", "end": "2026-01-01"})

    assert missing.status_code == 400 and "start" in missing.data and "end" in missing.data
    assert reversed_.status_code == 400 and "end" in reversed_.data


def test_kanban_gives_counts_sums_and_cards_per_stage(org, deals):
    response = client_for(org.director).get(f"{URL}kanban/", {"pipeline": Pipeline.default().pk})

    columns = {c["stage"]["name"]: c for c in response.data["columns"]}
    assert columns["Prospecting"]["count"] == 3
    assert columns["Prospecting"]["totals"] == {"CNY": "1123.00", "USD": "50.00"}
    assert [c["amount"] for c in columns["Prospecting"]["cards"]] == ["1000.00", "123.00", "50.00"]
    assert columns["Closed lost"]["count"] == 1
    card = columns["Negotiation"]["cards"][0]
    assert card["etag"] == Opportunity.objects.get(pk=card["id"]).etag


def test_kanban_filters_by_owner(org, deals):
    response = client_for(org.director).get(f"{URL}kanban/", {"owner": org.west_rep.pk})

    assert sum(c["count"] for c in response.data["columns"]) == 3


def api_queries(org, count, path):
    account = make_account(org.east_rep)
    names = ["Prospecting", None, "Proposal", "Negotiation", "Closed won"]
    contact = create_contact(org.east_rep, {"name": "C", "account": account})
    for i in range(count):
        opp = make_opp(org.east_rep, account, str(i + 1), stage_name=names[i % len(names)])
        OpportunityContact.objects.create(opportunity=opp, contact=contact, role="user")
    client = client_for(org.east_rep)
    client.get(path)
    return count_queries(lambda: client.get(path, {"page_size": 200}))


@pytest.mark.parametrize("path", [URL, f"{URL}kanban/"])
def test_api_query_counts_are_the_same_for_10_and_100_opportunities(org, path):
    small = api_queries(org, 10, path)
    Opportunity.all_objects.all().delete()
    big = api_queries(org, 100, path)

    assert small == big
