"""/api/v1/pool/ (browse, claim, assign, return), /api/v1/pool-rules/, /api/v1/pool-caps/,
and /api/v1/pipelines/."""

from __future__ import annotations

import pytest

from guanxi.core.api.etags import etag_for
from guanxi.core.api.testing import client_for, write
from guanxi.core.models import ChangeLogEntry, Role
from guanxi.customers.models import Account, PoolCap, PoolRule
from guanxi.customers.pool import return_to_pool
from guanxi.sales.models import Pipeline, Stage

from .helpers import make_account, make_opp

pytestmark = pytest.mark.django_db


def pooled(org, name="公海客户"):
    return return_to_pool(org.east_rep, make_account(org.east_rep, name), "test")


def test_pool_lists_accounts_without_owner(org):
    free = pooled(org)
    held = make_account(org.west_rep)

    response = client_for(org.west_rep).get("/api/v1/pool/")

    ids = [row["id"] for row in response.data["results"]]
    assert free.pk in ids and held.pk not in ids


def test_read_only_user_sees_an_empty_pool(org):
    pooled(org)

    response = client_for(org.read_only).get("/api/v1/pool/")

    assert response.status_code == 200 and response.data["results"] == []


def test_claim(org):
    account = pooled(org)

    response = write(client_for(org.west_rep), "post", f"/api/v1/pool/{account.pk}/claim/")

    assert response.status_code == 200
    assert response.data["owner"]["id"] == org.west_rep.pk
    assert response["ETag"] == Account.objects.get(pk=account.pk).etag


def test_claim_beyond_the_cap_is_400_naming_owner(org):
    PoolCap.objects.create(role=Role.objects.get(code="sales_rep"), max_accounts=1)
    make_account(org.west_rep)
    account = pooled(org)

    response = write(client_for(org.west_rep), "post", f"/api/v1/pool/{account.pk}/claim/")

    assert response.status_code == 400
    assert "the most allowed" in response.data["owner"][0]
    assert Account.objects.get(pk=account.pk).owner is None


def test_claim_of_an_owned_account_is_404(org):
    account = make_account(org.east_rep)

    response = write(client_for(org.admin), "post", f"/api/v1/pool/{account.pk}/claim/")

    assert response.status_code == 404


def test_manager_assigns_to_a_team_member_but_a_rep_cannot(org):
    first, second = pooled(org, "A"), pooled(org, "B")

    ok = write(
        client_for(org.east_manager),
        "post",
        f"/api/v1/pool/{first.pk}/assign/",
        {"owner": org.east_rep2.pk},
    )
    refused = write(
        client_for(org.west_rep),
        "post",
        f"/api/v1/pool/{second.pk}/assign/",
        {"owner": org.west_rep.pk},
    )

    assert ok.status_code == 200 and ok.data["owner"]["id"] == org.east_rep2.pk
    assert refused.status_code == 403
    assert Account.objects.get(pk=second.pk).owner is None


def test_return_to_pool(org):
    account = make_account(org.east_rep)
    other = make_account(org.west_rep)
    client = client_for(org.east_rep)

    ok = write(client, "post", "/api/v1/pool/return/", {"account": account.pk, "reason": "太远"})
    hidden = write(client, "post", "/api/v1/pool/return/", {"account": other.pk})

    assert ok.status_code == 200 and ok.data["owner"] is None
    assert hidden.status_code == 400 and "account" in hidden.data
    entry = ChangeLogEntry.objects.filter(object_type="account", object_id=account.pk).first()
    assert entry.changes["pool"] == [None, "太远"]


def test_pool_rules_admin_writes_others_read(org):
    admin, rep = client_for(org.admin), client_for(org.east_rep)
    body = {"relationship_class": "potential", "days_without_followup": 30, "warning_days": 5}

    refused = write(rep, "post", "/api/v1/pool-rules/", body)
    created = write(admin, "post", "/api/v1/pool-rules/", body)
    again = write(admin, "post", "/api/v1/pool-rules/", body)
    bad = write(admin, "patch", f"/api/v1/pool-rules/{created.data['id']}/", {"warning_days": 40})
    listed = rep.get("/api/v1/pool-rules/")

    assert refused.status_code == 403
    assert created.status_code == 201 and PoolRule.objects.get().days_without_followup == 30
    assert again.status_code == 400 and "relationship_class" in again.data
    assert bad.status_code == 400 and "warning_days" in bad.data
    assert [r["relationship_class"] for r in listed.data] == ["potential"]


def test_pool_rule_without_any_limit_is_400(org):
    response = write(
        client_for(org.admin), "post", "/api/v1/pool-rules/", {"relationship_class": "target"}
    )

    assert response.status_code == 400 and "days_without_followup" in response.data


def test_pool_caps(org):
    admin = client_for(org.admin)

    refused = write(
        client_for(org.east_manager),
        "post",
        "/api/v1/pool-caps/",
        {"role": "sales_rep", "max_accounts": 3},
    )
    created = write(admin, "post", "/api/v1/pool-caps/", {"role": "sales_rep", "max_accounts": 3})
    changed = write(admin, "patch", f"/api/v1/pool-caps/{created.data['id']}/", {"max_accounts": 9})
    removed = write(admin, "delete", f"/api/v1/pool-caps/{created.data['id']}/")

    assert refused.status_code == 403
    assert created.status_code == 201 and changed.data["max_accounts"] == 9
    assert removed.status_code == 204 and not PoolCap.objects.exists()


# -- pipelines -------------------------------------------------------------------------------


def test_pipelines_list_with_nested_stages(org):
    response = client_for(org.east_rep).get("/api/v1/pipelines/")

    sales = response.data[0]
    assert sales["name"] == "Sales" and sales["is_default"]
    assert [s["name"] for s in sales["stages"]][:2] == ["Prospecting", "Approach and needs"]
    assert response.status_code == 200


def test_admin_creates_a_pipeline_others_may_not(org):
    body = {
        "name": "Renewals",
        "stages": [
            {"name": "Due", "probability": 50},
            {"name": "Renewed", "probability": 100, "kind": "won"},
            {"name": "Churned", "probability": 0, "kind": "lost"},
        ],
    }

    refused = write(client_for(org.director), "post", "/api/v1/pipelines/", body)
    created = write(client_for(org.admin), "post", "/api/v1/pipelines/", body)

    assert refused.status_code == 403
    assert created.status_code == 201
    assert [s["name"] for s in created.data["stages"]] == ["Due", "Renewed", "Churned"]


def test_a_pipeline_without_won_and_lost_is_400(org):
    response = write(
        client_for(org.admin),
        "post",
        "/api/v1/pipelines/",
        {"name": "Bad", "stages": [{"name": "Only", "probability": 10}]},
    )

    assert response.status_code == 400 and "stages" in response.data


def test_pipeline_update_needs_if_match_and_keeps_stages_in_use(org):
    make_opp(org.east_rep, stage_name="Proposal")
    pipeline = Pipeline.default()
    client = client_for(org.admin)
    url = f"/api/v1/pipelines/{pipeline.pk}/"
    stages = [
        {"id": s.pk, "name": s.name, "probability": s.probability, "kind": s.kind}
        for s in pipeline.stages.order_by("order")
        if s.name != "Proposal"
    ]

    missing = write(client, "patch", url, {"name": "Direct sales"})
    in_use = write(client, "patch", url, {"stages": stages}, etag=etag_for(pipeline))
    renamed = write(client, "patch", url, {"name": "Direct sales"}, etag=etag_for(pipeline))
    stale = write(client, "patch", url, {"name": "Again"}, etag=etag_for(pipeline))

    assert missing.status_code == 428
    assert in_use.status_code == 400 and "stages" in in_use.data
    assert Stage.objects.filter(pipeline=pipeline, name="Proposal").exists()
    assert renamed.status_code == 200 and renamed.data["name"] == "Direct sales"
    assert stale.status_code == 412


def test_a_used_pipeline_cannot_be_deleted(org):
    make_opp(org.east_rep)
    pipeline = Pipeline.default()

    response = write(
        client_for(org.admin),
        "delete",
        f"/api/v1/pipelines/{pipeline.pk}/",
        etag=etag_for(pipeline),
    )

    assert response.status_code == 400
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()
