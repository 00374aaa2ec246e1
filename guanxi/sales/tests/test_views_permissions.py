"""The permission matrix, UI side, for opportunities and their objections: role × relation to
the record × page. A record the user may not see answers 404 on every page; one they see but
may not change answers 403 on the pages that change it.

Opportunities are private by default (migration 0002); objections follow their opportunity.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core import services as core
from guanxi.sales.models import Objection, Opportunity, Pipeline
from guanxi.sales.services import create_opportunity, log_objection

from .helpers import make_account

pytestmark = pytest.mark.django_db

ROLES = ("admin", "east_manager", "east_rep", "service", "read_only")
RELATIONS = ("own", "team", "other_team", "shared_read", "shared_edit")
ALL = set(RELATIONS)
VISIBLE = {
    "admin": ALL,
    "east_manager": {"own", "team", "shared_read", "shared_edit"},
    "east_rep": {"own", "shared_read", "shared_edit"},
    "service": {"own", "shared_read", "shared_edit"},
    "read_only": {"own", "shared_read", "shared_edit"},
}
# The built-in roles' actions on opportunities: managers and reps create, edit and delete.
SALES_ROLES = {"admin", "east_manager", "east_rep"}
EDITABLE = {
    "admin": ALL,
    "east_manager": {"own", "team", "shared_edit"},
    "east_rep": {"own", "shared_edit"},
    "service": set(),
    "read_only": set(),
}

CASES = [(r, rel) for r in ROLES for rel in RELATIONS]
IDS = [f"{r}-{rel}" for r, rel in CASES]


def make_record(org, user, relation: str) -> Opportunity:
    owner = {
        "own": user,
        "team": org.east_rep2,
        "other_team": org.west_rep,
        "shared_read": org.west_rep,
        "shared_edit": org.west_rep,
    }[relation]
    account = make_account(org.admin, f"{relation} account")
    opp = create_opportunity(
        org.admin, {"name": f"{relation} deal", "account": account}, owner=owner
    )
    if relation.startswith("shared_"):
        core.share_record(org.admin, opp, user=user, access=relation.removeprefix("shared_"))
    return opp


def status(role: str, relation: str, allowed: bool) -> int:
    if relation not in VISIBLE[role]:
        return 404
    return 200 if allowed else 403


@pytest.mark.parametrize(("role", "relation"), CASES, ids=IDS)
def test_list_and_board_show_exactly_the_visible_deals(client, org, role, relation):
    user = getattr(org, role)
    opp = make_record(org, user, relation)
    client.force_login(user)

    listed = client.get(reverse("sales:opportunity-list")).text
    board = client.get(reverse("sales:board")).text

    assert (f'data-id="{opp.pk}"' in listed) == (relation in VISIBLE[role])
    assert (f'id="card-{opp.pk}"' in board) == (relation in VISIBLE[role])


@pytest.mark.parametrize(("role", "relation"), CASES, ids=IDS)
def test_detail_page_answers_404_when_not_visible(client, org, role, relation):
    user = getattr(org, role)
    opp = make_record(org, user, relation)
    client.force_login(user)

    response = client.get(opp.get_absolute_url())

    assert response.status_code == (200 if relation in VISIBLE[role] else 404)


@pytest.mark.parametrize(("role", "relation"), CASES, ids=IDS)
def test_edit_page_follows_record_access(client, org, role, relation):
    user = getattr(org, role)
    opp = make_record(org, user, relation)
    client.force_login(user)
    url = reverse("sales:opportunity-edit", args=[opp.pk])
    editable = relation in EDITABLE[role]

    page = client.get(url)
    post = client.post(
        url,
        {
            "name": "Renamed",
            "account": opp.account_id,
            "amount": "10",
            "currency": "CNY",
            "probability": "10",
            "forecast_category": "pipeline",
            "version": opp.version,
        },
    )

    assert page.status_code == status(role, relation, editable)
    assert post.status_code == (302 if editable else status(role, relation, False))
    assert (Opportunity.objects.get(pk=opp.pk).name == "Renamed") == editable


@pytest.mark.parametrize(("role", "relation"), CASES, ids=IDS)
def test_delete_page_follows_record_access_and_role(client, org, role, relation):
    user = getattr(org, role)
    opp = make_record(org, user, relation)
    client.force_login(user)
    url = reverse("sales:opportunity-delete", args=[opp.pk])
    allowed = relation in EDITABLE[role] and role in SALES_ROLES

    page = client.get(url)
    post = client.post(url, {"version": opp.version})

    assert page.status_code == status(role, relation, allowed)
    assert post.status_code == (302 if allowed else status(role, relation, False))
    assert Opportunity.objects.filter(pk=opp.pk).exists() != allowed


@pytest.mark.parametrize(("role", "relation"), CASES, ids=IDS)
def test_stage_moves_follow_record_access(client, org, role, relation):
    user = getattr(org, role)
    opp = make_record(org, user, relation)
    client.force_login(user)
    target = Pipeline.default().stages.get(name="Proposal").pk
    editable = relation in EDITABLE[role]

    control = client.post(
        reverse("sales:opportunity-move", args=[opp.pk]),
        {"stage": target, "version": opp.version},
    )
    drag = client.post(
        reverse("sales:board-move", args=[opp.pk]), {"stage": target, "version": opp.version}
    )

    assert control.status_code == (302 if editable else status(role, relation, False))
    assert drag.status_code in ((200, 409) if editable else (status(role, relation, False),))
    assert (Opportunity.objects.get(pk=opp.pk).stage_id == target) == editable


@pytest.mark.parametrize(("role", "relation"), CASES, ids=IDS)
def test_objections_follow_their_opportunity(client, org, role, relation):
    user = getattr(org, role)
    opp = make_record(org, user, relation)
    existing = log_objection(org.admin, opp, {"type": "price", "description": "已有"})
    client.force_login(user)
    editable = relation in EDITABLE[role]

    tab = client.get(opp.get_absolute_url(), {"tab": "objections"})
    add = client.post(
        reverse("sales:objection-add", args=[opp.pk]), {"type": "need", "description": "新的"}
    )
    update = client.post(
        reverse("sales:objection-update", args=[existing.pk]),
        {
            f"objection-{existing.pk}-resolved": "on",
            f"objection-{existing.pk}-version": existing.version,
        },
    )

    assert tab.status_code == (200 if relation in VISIBLE[role] else 404)
    if relation in VISIBLE[role]:
        assert "已有" in tab.text
    assert add.status_code == (302 if editable else status(role, relation, False))
    assert Objection.objects.filter(description="新的").exists() == editable
    assert update.status_code == (302 if editable else status(role, relation, False))
    assert Objection.objects.get(pk=existing.pk).resolved == editable


@pytest.mark.parametrize("role", ROLES)
def test_create_page_follows_role(client, org, role):
    user = getattr(org, role)
    account = make_account(org.admin, "Shared account", owner=None)
    core.share_record(org.admin, account, user=user, access="read")
    client.force_login(user)
    url = reverse("sales:opportunity-create")
    allowed = role in SALES_ROLES

    page = client.get(url)
    post = client.post(
        url,
        {
            "name": "Created here",
            "account": account.pk,
            "pipeline": Pipeline.default().pk,
            "amount": "1",
            "currency": "CNY",
        },
    )

    assert page.status_code == (200 if allowed else 403)
    assert post.status_code == (302 if allowed else 403)
    assert Opportunity.objects.filter(name="Created here").exists() == allowed


def test_anonymous_user_is_sent_to_login(client, org):
    opp = make_record(org, org.east_rep, "own")

    for url in (
        reverse("sales:opportunity-list"),
        opp.get_absolute_url(),
        reverse("sales:board"),
        reverse("sales:forecast"),
        reverse("sales:velocity"),
        reverse("sales:objection-report"),
        reverse("sales:pool"),
        reverse("sales:pipeline-list"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
