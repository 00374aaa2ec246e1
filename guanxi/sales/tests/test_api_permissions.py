"""The API permission matrix for opportunities, objections, pipelines and the pool.

Role × relation to the record (own, a managed team's, a colleague's, another team's, shared
read / edit with the user or their team) × action (list, detail, edit, move, delete, search).
Expected answers are derived from the rules: what a user may not see answers 404 and never
appears in a list or search; what they see but may not change answers 403. Objections follow
their opportunity. Pipelines and pool settings: staff read, administrators write.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from guanxi.core import services as core
from guanxi.core.api.testing import client_for, write
from guanxi.customers.pool import return_to_pool
from guanxi.sales.models import Objection, Opportunity, Pipeline
from guanxi.sales.services import create_opportunity, log_objection

from .helpers import make_account

pytestmark = pytest.mark.django_db

SALES = {"create", "edit", "delete"}
ROLE_ACTIONS = {
    "admin": SALES,
    "sales_manager": SALES,
    "sales_rep": SALES,
    "service_agent": set(),
    "read_only": set(),
}
ACTOR_ROLES = {
    "admin": "admin",
    "director": "sales_manager",
    "east_manager": "sales_manager",
    "east_rep": "sales_rep",
    "read_only": "read_only",
    "service": "service_agent",
}
RELATION_ACCESS = {
    "own": "write",
    "managed_team": "write",
    "colleague": None,
    "other_team": None,
    "shared_read": "read",
    "shared_edit": "write",
    "team_shared_edit": "write",
}
CASES = [
    ("admin", "other_team"),
    ("director", "managed_team"),
    ("director", "own"),
    ("east_manager", "managed_team"),
    ("east_manager", "other_team"),
    ("east_rep", "own"),
    ("east_rep", "colleague"),
    ("east_rep", "other_team"),
    ("east_rep", "shared_read"),
    ("east_rep", "shared_edit"),
    ("east_rep", "team_shared_edit"),
    ("read_only", "colleague"),
    ("read_only", "shared_read"),
    ("read_only", "shared_edit"),
    ("service", "own"),
    ("service", "colleague"),
    ("service", "shared_edit"),
]
ACTIONS = ["list", "detail", "edit", "move", "delete", "search"]
NAME = "矩阵商机"  # found by "juzhen"


@dataclass(frozen=True)
class Expected:
    visible: bool
    editable: bool
    deletable: bool


def expected(actor: str, relation: str) -> Expected:
    role = ACTOR_ROLES[actor]
    actions = ROLE_ACTIONS[role]
    if role == "admin":
        return Expected(True, True, True)
    access = RELATION_ACCESS[relation]
    editable = access == "write" and "edit" in actions
    return Expected(access is not None, editable, editable and "delete" in actions)


def make_record(org, actor_name: str, relation: str) -> Opportunity:
    actor = getattr(org, actor_name)
    owner = {"own": actor, "managed_team": org.east_rep, "colleague": org.east_rep2}.get(
        relation, org.west_rep
    )
    account = make_account(org.admin, "Matrix account")
    opp = create_opportunity(org.admin, {"name": NAME, "account": account}, owner=owner)
    if relation == "shared_read":
        core.share_record(org.admin, opp, user=actor, access="read")
    elif relation == "shared_edit":
        core.share_record(org.admin, opp, user=actor, access="edit")
    elif relation == "team_shared_edit":
        core.share_record(org.admin, opp, team=org.east, access="edit")
    return opp


def run(client, action: str, opp: Opportunity):
    url = f"/api/v1/opportunities/{opp.pk}/"
    if action == "list":
        return client.get("/api/v1/opportunities/", {"page_size": 500})
    if action == "detail":
        return client.get(url)
    if action == "edit":
        return write(client, "patch", url, {"description": "edited"}, etag=opp.etag)
    if action == "move":
        target = Pipeline.default().stages.get(name="Proposal")
        return write(client, "post", f"{url}move/", {"stage": target.pk}, etag=opp.etag)
    if action == "delete":
        return write(client, "delete", url, etag=opp.etag)
    if action == "search":
        return client.get("/api/v1/search/", {"q": "juzhen", "types": "opportunity"})
    raise AssertionError(action)


def matrix():
    for actor, relation in CASES:
        for action in ACTIONS:
            yield pytest.param(actor, relation, action, id=f"{actor}-{relation}-{action}")


@pytest.mark.parametrize(("actor", "relation", "action"), list(matrix()))
def test_opportunity_api_permission_matrix(org, actor, relation, action):
    opp = make_record(org, actor, relation)
    rule = expected(actor, relation)
    client = client_for(getattr(org, actor))

    response = run(client, action, opp)

    current = Opportunity.all_objects.get(pk=opp.pk)
    if action == "list":
        ids = [row["id"] for row in response.data["results"]]
        assert (opp.pk in ids) == rule.visible
    elif action == "search":
        hits = [(h["object_type"], h["id"]) for h in response.data["results"]]
        assert (("opportunity", opp.pk) in hits) == rule.visible
    elif action == "detail":
        assert response.status_code == (200 if rule.visible else 404)
    elif action in ("edit", "move"):
        want = 200 if rule.editable else 403 if rule.visible else 404
        assert response.status_code == want
        changed = (
            current.description == "edited"
            if action == "edit"
            else current.stage.name == "Proposal"
        )
        assert changed == rule.editable
    elif action == "delete":
        want = 204 if rule.deletable else 403 if rule.visible else 404
        assert response.status_code == want
        assert (current.deleted_at is not None) == rule.deletable


@pytest.mark.parametrize(("actor", "relation"), CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_objection_api_follows_the_opportunity(org, actor, relation):
    opp = make_record(org, actor, relation)
    objection = log_objection(org.admin, opp, {"type": "price", "description": "贵"})
    rule = expected(actor, relation)
    client = client_for(getattr(org, actor))
    url = f"/api/v1/objections/{objection.pk}/"

    listed = client.get("/api/v1/objections/")
    nested = client.get(f"/api/v1/opportunities/{opp.pk}/objections/")
    created = write(
        client,
        "post",
        "/api/v1/objections/",
        {"opportunity": opp.pk, "type": "need", "description": "新"},
    )
    edited = write(client, "patch", url, {"resolved": True}, etag=objection.etag)

    assert (objection.pk in [o["id"] for o in listed.data["results"]]) == rule.visible
    assert nested.status_code == (200 if rule.visible else 404)
    # an opportunity the caller cannot see is "no such record" in the body: 400 naming it
    want_create = 201 if rule.editable else 403 if rule.visible else 400
    assert created.status_code == want_create
    assert Objection.objects.filter(description="新").exists() == rule.editable
    assert edited.status_code == (200 if rule.editable else 403 if rule.visible else 404)


@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_opportunity_api_create_permission(org, actor):
    user = getattr(org, actor)
    account = make_account(org.admin, "Shared")
    core.share_record(org.admin, account, user=user, access="read")
    allowed = "create" in ROLE_ACTIONS[ACTOR_ROLES[actor]]

    response = write(
        client_for(user), "post", "/api/v1/opportunities/", {"name": "New", "account": account.pk}
    )

    assert response.status_code == (201 if allowed else 403)
    assert Opportunity.objects.filter(name="New").exists() == allowed


@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_pipelines_staff_read_admins_write(org, actor):
    client = client_for(getattr(org, actor))
    pipeline = Pipeline.default()

    read = client.get("/api/v1/pipelines/")
    rename = write(
        client,
        "patch",
        f"/api/v1/pipelines/{pipeline.pk}/",
        {"name": "Renamed"},
        etag=f'"pipeline-{pipeline.pk}-v{pipeline.version}"',
    )

    assert read.status_code == 200
    assert rename.status_code == (200 if actor == "admin" else 403)


@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_pool_api_by_role(org, actor):
    user = getattr(org, actor)
    account = return_to_pool(org.east_rep, make_account(org.east_rep, "Pool"), "")
    client = client_for(user)
    may_take = actor in {"admin", "director", "east_manager", "east_rep", "service"}

    listed = client.get("/api/v1/pool/")
    claim = write(client, "post", f"/api/v1/pool/{account.pk}/claim/")
    rules = write(
        client,
        "post",
        "/api/v1/pool-rules/",
        {"relationship_class": "potential", "days_without_followup": 30},
    )

    assert (account.pk in [a["id"] for a in listed.data["results"]]) == may_take
    assert claim.status_code == (200 if may_take else 404)
    assert rules.status_code == (201 if actor == "admin" else 403)


def test_anonymous_api_calls_are_refused(client, org):
    for url in (
        "/api/v1/opportunities/",
        "/api/v1/objections/",
        "/api/v1/pipelines/",
        "/api/v1/pool/",
        "/api/v1/pool-rules/",
        "/api/v1/pool-caps/",
    ):
        assert client.get(url).status_code in (401, 403), url
