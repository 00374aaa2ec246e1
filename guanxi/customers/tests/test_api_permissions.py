"""The API permission matrix for accounts and contacts.

Each role × relation to a record (own, a managed team's, a colleague's, another team's,
shared read / edit with the user or their team) × action (list, detail, create, edit, delete,
search). The expected answer is derived from the rules, not written per cell:

- a user sees a record they own, one owned in a team they manage (or below it), one shared
  with them or their team, and everything when they administer the type (accounts and contacts
  are private by default);
- they may edit what they see if their role grants ``edit`` and their access is not a read
  share; delete also needs the role's ``delete``; create needs the role's ``create``;
- what a user may not see answers 404 (not 403) and never appears in a list or a search;
  what they see but may not change answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from guanxi.core import services as core
from guanxi.core.api.testing import client_for, write
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import create_account, create_contact

pytestmark = pytest.mark.django_db

# The built-in roles' actions on accounts and contacts (guanxi/core/migrations/0002).
ROLE_ACTIONS = {
    "admin": {"account": {"create", "edit", "delete"}, "contact": {"create", "edit", "delete"}},
    "sales_manager": {
        "account": {"create", "edit", "delete"},
        "contact": {"create", "edit", "delete"},
    },
    "sales_rep": {"account": {"create", "edit", "delete"}, "contact": {"create", "edit", "delete"}},
    "service_agent": {"account": {"edit"}, "contact": {"create", "edit"}},
    "read_only": {"account": set(), "contact": set()},
}
ACTOR_ROLES = {
    "admin": "admin",
    "director": "sales_manager",
    "east_manager": "sales_manager",
    "east_rep": "sales_rep",
    "read_only": "read_only",
    "service": "service_agent",
}

# How each relation gives access: None (no access), "read" or "write".
RELATION_ACCESS = {
    "own": "write",
    "managed_team": "write",  # owned by a member of a team the actor manages
    "colleague": None,  # same team, the actor is not its manager
    "other_team": None,
    "shared_read": "read",
    "shared_edit": "write",
    "team_shared_edit": "write",  # shared with the actor's team
    "under_own_account": "write",  # a contact of another team at the actor's account
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
    ("service", "colleague"),
    ("service", "shared_edit"),
    ("service", "team_shared_edit"),
]
CONTACT_ONLY_CASES = [("east_rep", "under_own_account"), ("read_only", "under_own_account")]
ACTIONS = ["list", "detail", "edit", "delete", "search"]
URLS = {"account": "/api/v1/accounts/", "contact": "/api/v1/contacts/"}
NAMES = {"account": "矩阵客户", "contact": "矩阵联系人"}  # found by "juzhen"


@dataclass(frozen=True)
class Expected:
    visible: bool
    editable: bool
    deletable: bool


def expected(actor: str, relation: str, object_type: str) -> Expected:
    role = ACTOR_ROLES[actor]
    actions = ROLE_ACTIONS[role][object_type]
    if role == "admin":
        return Expected(True, True, True)
    access = RELATION_ACCESS[relation]
    if relation == "under_own_account" and actor != "east_rep":
        access = None  # only east_rep owns the account in that setup
    visible = access is not None
    editable = access == "write" and "edit" in actions
    return Expected(visible, editable, editable and "delete" in actions)


def make_record(org, actor_name: str, relation: str, object_type: str):
    actor = getattr(org, actor_name)
    owner = {
        "own": actor,
        "managed_team": org.east_rep,
        "colleague": org.east_rep2,
    }.get(relation, org.west_rep)
    if relation == "under_own_account":
        account = create_account(org.east_rep, {"name": "East account"})
        return create_contact(
            org.admin, {"name": NAMES["contact"], "account": account}, owner=owner
        )
    create = create_account if object_type == "account" else create_contact
    record = create(org.admin, {"name": NAMES[object_type]}, owner=owner)
    if relation == "shared_read":
        core.share_record(org.admin, record, user=actor, access="read")
    elif relation == "shared_edit":
        core.share_record(org.admin, record, user=actor, access="edit")
    elif relation == "team_shared_edit":
        core.share_record(org.admin, record, team=org.east, access="edit")
    return record


def run(client, action: str, object_type: str, record):
    url = URLS[object_type]
    detail = f"{url}{record.pk}/"
    if action == "list":
        return client.get(url, {"page_size": 500})
    if action == "detail":
        return client.get(detail)
    if action == "edit":
        return write(client, "patch", detail, {"description": "edited"}, etag=record.etag)
    if action == "delete":
        return write(client, "delete", detail, etag=record.etag)
    if action == "search":
        return client.get("/api/v1/search/", {"q": "juzhen", "types": object_type})
    raise AssertionError(action)


def matrix():
    for object_type in ("account", "contact"):
        cases = CASES + (CONTACT_ONLY_CASES if object_type == "contact" else [])
        for actor, relation in cases:
            for action in ACTIONS:
                yield pytest.param(
                    actor,
                    relation,
                    object_type,
                    action,
                    id=f"{object_type}-{actor}-{relation}-{action}",
                )


@pytest.mark.parametrize(("actor", "relation", "object_type", "action"), list(matrix()))
def test_api_permission_matrix(org, actor, relation, object_type, action):
    record = make_record(org, actor, relation, object_type)
    model = Account if object_type == "account" else Contact
    rule = expected(actor, relation, object_type)
    client = client_for(getattr(org, actor))

    response = run(client, action, object_type, record)

    if action == "list":
        ids = [row["id"] for row in response.data["results"]]
        assert (record.pk in ids) == rule.visible
    elif action == "search":
        hits = [(h["object_type"], h["id"]) for h in response.data["results"]]
        assert ((object_type, record.pk) in hits) == rule.visible
    elif action == "detail":
        assert response.status_code == (200 if rule.visible else 404)
    elif action == "edit":
        want = 200 if rule.editable else 403 if rule.visible else 404
        assert response.status_code == want
        changed = model.objects.get(pk=record.pk).description == "edited"
        assert changed == rule.editable
    elif action == "delete":
        want = 204 if rule.deletable else 403 if rule.visible else 404
        assert response.status_code == want
        assert model.objects.filter(pk=record.pk).exists() != rule.deletable


@pytest.mark.parametrize("object_type", ["account", "contact"])
@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_api_create_permission(org, actor, object_type):
    allowed = "create" in ROLE_ACTIONS[ACTOR_ROLES[actor]][object_type]
    model = Account if object_type == "account" else Contact

    response = write(client_for(getattr(org, actor)), "post", URLS[object_type], {"name": "New"})

    assert response.status_code == (201 if allowed else 403)
    assert model.objects.filter(name="New").exists() == allowed
    if allowed:
        assert model.objects.get(name="New").owner == getattr(org, actor)
