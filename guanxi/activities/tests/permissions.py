"""The permission matrix of activities and call lists, shared by the API and the UI tests.

The expected answer of each cell is derived from the rules, not written per cell:

- a user sees an activity they own, one owned in a team they manage, one shared with them,
  one on a record they may see, and a meeting they attend; everything when they administer
  activities (the built-in administrator);
- they may change it if their role grants ``edit`` on activities and their access is a write
  access (owner, manager, edit share, or edit right on the record it is on), and delete it if
  the role also grants ``delete``;
- call lists follow the plain owner / team / share rules; logging a call on a list needs the
  right to edit the list and to create activities;
- what a user may not see answers 404; what they see but may not change answers 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from guanxi.activities import services
from guanxi.core import services as core
from guanxi.core.models import AccessPolicy
from guanxi.customers.services import create_account
from guanxi.leads.services import create_lead

# The built-in roles' actions (core 0002 and activities 0002).
ROLE_ACTIONS = {
    "admin": {"activity": {"create", "edit", "delete"}, "calllist": {"create", "edit", "delete"}},
    "sales_manager": {
        "activity": {"create", "edit", "delete"},
        "calllist": {"create", "edit", "delete"},
    },
    "sales_rep": {
        "activity": {"create", "edit", "delete"},
        "calllist": {"create", "edit", "delete"},
    },
    "service_agent": {"activity": {"create", "edit"}, "calllist": set()},
    "read_only": {"activity": set(), "calllist": set()},
}
ACTOR_ROLES = {
    "admin": "admin",
    "director": "sales_manager",
    "east_manager": "sales_manager",
    "east_rep": "sales_rep",
    "read_only": "read_only",
    "service": "service_agent",
}
# What access a relation gives: None, "read" or "write" (before the role's actions).
RELATION_ACCESS = {
    "own": "write",
    "managed_team": "write",  # owned by east_rep: the actor manages East (or Sales above it)
    "colleague": None,  # owned by east_rep2, same team, the actor is not its manager
    "other_team": None,
    "shared_read": "read",
    "shared_edit": "write",
    "on_my_record": "write",  # west_rep's activity on an account the actor owns
    "attendee": "read",  # west_rep's meeting the actor attends
}
ACTIVITY_CASES = [
    ("admin", "other_team"),
    ("director", "managed_team"),
    ("east_manager", "managed_team"),
    ("east_manager", "other_team"),
    ("east_rep", "own"),
    ("east_rep", "colleague"),
    ("east_rep", "other_team"),
    ("east_rep", "shared_read"),
    ("east_rep", "shared_edit"),
    ("east_rep", "on_my_record"),
    ("east_rep", "attendee"),
    ("read_only", "shared_edit"),
    ("read_only", "on_my_record"),
    ("read_only", "attendee"),
    ("service", "own"),
    ("service", "on_my_record"),
    ("service", "colleague"),
]
CALL_LIST_CASES = [
    ("admin", "other_team"),
    ("director", "managed_team"),
    ("east_manager", "managed_team"),
    ("east_manager", "other_team"),
    ("east_rep", "own"),
    ("east_rep", "colleague"),
    ("east_rep", "other_team"),
    ("east_rep", "shared_read"),
    ("east_rep", "shared_edit"),
    ("read_only", "shared_edit"),
    ("service", "shared_edit"),
]


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
    if relation == "managed_team" and actor not in ("director", "east_manager"):
        access = None
    visible = access is not None
    editable = access == "write" and "edit" in actions
    if relation == "on_my_record" and role == "read_only":
        editable = False  # no edit right on the account either
    return Expected(visible, editable, editable and "delete" in actions)


def can_log(actor: str, relation: str) -> bool:
    rule = expected(actor, relation, "calllist")
    return rule.editable and "create" in ROLE_ACTIONS[ACTOR_ROLES[actor]]["activity"]


def owner_for(org, actor_name: str, relation: str):
    actor = getattr(org, actor_name)
    return {
        "own": actor,
        "managed_team": org.east_rep,
        "colleague": org.east_rep2,
    }.get(relation, org.west_rep)


def make_activity_for(org, actor_name: str, relation: str):
    actor = getattr(org, actor_name)
    owner = owner_for(org, actor_name, relation)
    data = {"subject": "矩阵任务", "due_at": timezone.now() + dt.timedelta(days=1)}
    if relation == "on_my_record":
        data["related"] = create_account(org.admin, {"name": "My account"}, owner=actor)
    if relation == "attendee":
        data.update(
            kind="meeting", start_at=timezone.now() + dt.timedelta(days=1), attendees=[actor]
        )
    activity = services.create_activity(org.admin, data, owner=owner)
    if relation in ("shared_read", "shared_edit"):
        core.share_record(org.admin, activity, user=actor, access=relation.removeprefix("shared_"))
    return activity


def make_call_list_for(org, actor_name: str, relation: str):
    """A call list of one lead every staff user may see (leads public-read here)."""
    actor = getattr(org, actor_name)
    AccessPolicy.objects.update_or_create(
        object_type="lead", defaults={"default_access": "public_read"}
    )
    create_lead(org.admin, {"person_name": "矩阵线索", "source": "referral"}, assign=False)
    call_list = services.create_call_list(
        org.admin,
        {"name": "矩阵名单", "record_type": "lead", "query": "source=referral"},
        owner=owner_for(org, actor_name, relation),
    )
    if relation in ("shared_read", "shared_edit"):
        core.share_record(org.admin, call_list, user=actor, access=relation.removeprefix("shared_"))
    return call_list
