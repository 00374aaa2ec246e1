"""The API permission matrix for leads, campaigns and the lead administration objects.

Leads are private by default: a user sees a lead they own, one owned in a team they manage,
one shared with them or their team, and every lead when they administer leads. Campaigns are
public-read by default: every staff user sees them; editing follows ownership and shares.
Edit needs the role's ``edit``, delete the role's ``delete``, create the role's ``create``.
What a user may not see answers 404; what they see but may not change answers 403.

Scoring rules, the threshold, assignment rules, rep availability and web forms are not
records: staff read them, administrators of leads write them, anyone else gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from guanxi.core import services as core
from guanxi.core.api.testing import client_for, write
from guanxi.core.tests.factories import make_user
from guanxi.leads import rules, services
from guanxi.leads.models import (
    AssignmentRule,
    Lead,
    LeadScoringRule,
    RepAvailability,
    ScoringSettings,
    WebForm,
)
from guanxi.marketing.models import Campaign
from guanxi.marketing.services import create_campaign

pytestmark = pytest.mark.django_db

# The built-in roles' actions (core migration 0002, leads migration 0003).
ROLE_ACTIONS = {
    "admin": {"lead": {"create", "edit", "delete"}, "campaign": {"create", "edit", "delete"}},
    "sales_manager": {"lead": {"create", "edit", "delete"}, "campaign": {"create", "edit"}},
    "sales_rep": {"lead": {"create", "edit"}, "campaign": set()},
    "marketing": {"lead": {"create", "edit"}, "campaign": {"create", "edit", "delete"}},
    "service_agent": {"lead": set(), "campaign": set()},
    "read_only": {"lead": set(), "campaign": set()},
}
ACTOR_ROLES = {
    "admin": "admin",
    "director": "sales_manager",
    "east_manager": "sales_manager",
    "east_rep": "sales_rep",
    "marketer": "marketing",
    "read_only": "read_only",
    "service": "service_agent",
}
# How a relation gives access to a private record: None, "read" or "write".
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
    ("marketer", "own"),
    ("marketer", "other_team"),
    ("read_only", "colleague"),
    ("read_only", "shared_read"),
    ("read_only", "shared_edit"),
    ("service", "colleague"),
    ("service", "shared_edit"),
]
ACTIONS = ["list", "detail", "edit", "delete", "search"]
URLS = {"lead": "/api/v1/leads/", "campaign": "/api/v1/campaigns/"}
NAMES = {"lead": "矩阵线索", "campaign": "矩阵活动"}  # both found by "juzhen"
PUBLIC_READ = {"lead": False, "campaign": True}


@dataclass(frozen=True)
class Expected:
    visible: bool
    editable: bool
    deletable: bool


def actor_of(org, name: str):
    if name == "marketer":
        if not hasattr(org, "_marketer"):
            org._marketer = make_user("marketing", team=org.east, username="marketer")
        return org._marketer
    return getattr(org, name)


def expected(actor: str, relation: str, object_type: str) -> Expected:
    role = ACTOR_ROLES[actor]
    actions = ROLE_ACTIONS[role][object_type]
    if role == "admin":
        return Expected(True, True, True)
    access = RELATION_ACCESS[relation]
    visible = access is not None or PUBLIC_READ[object_type]
    editable = access == "write" and "edit" in actions
    return Expected(visible, editable, editable and "delete" in actions)


def make_record(org, actor_name: str, relation: str, object_type: str):
    actor = actor_of(org, actor_name)
    owner = {"own": actor, "managed_team": org.east_rep, "colleague": org.east_rep2}.get(
        relation, org.west_rep
    )
    if object_type == "lead":
        record = services.create_lead(
            org.admin, {"person_name": NAMES["lead"]}, assign=False, owner=owner
        )
    else:
        record = create_campaign(org.admin, {"name": NAMES["campaign"]}, owner=owner)
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
    body = {"notes": "edited"} if object_type == "lead" else {"description": "edited"}
    if action == "list":
        return client.get(url, {"page_size": 500})
    if action == "detail":
        return client.get(detail)
    if action == "edit":
        return write(client, "patch", detail, body, etag=record.etag)
    if action == "delete":
        return write(client, "delete", detail, etag=record.etag)
    if action == "search":
        return client.get("/api/v1/search/", {"q": "juzhen", "types": object_type})
    raise AssertionError(action)


def matrix():
    for object_type in ("lead", "campaign"):
        for actor, relation in CASES:
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
    model = Lead if object_type == "lead" else Campaign
    rule = expected(actor, relation, object_type)
    client = client_for(actor_of(org, actor))

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
        current = model.objects.get(pk=record.pk)
        changed = (current.notes if object_type == "lead" else current.description) == "edited"
        assert changed == rule.editable
    elif action == "delete":
        want = 204 if rule.deletable else 403 if rule.visible else 404
        assert response.status_code == want
        assert model.objects.filter(pk=record.pk).exists() != rule.deletable


@pytest.mark.parametrize("object_type", ["lead", "campaign"])
@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_api_create_permission(org, actor, object_type):
    allowed = "create" in ROLE_ACTIONS[ACTOR_ROLES[actor]][object_type]
    model = Lead if object_type == "lead" else Campaign
    body = {"person_name": "New"} if object_type == "lead" else {"name": "New"}
    user = actor_of(org, actor)

    response = write(client_for(user), "post", URLS[object_type], {**body, "assign": False})

    assert response.status_code == (201 if allowed else 403)
    field = "person_name" if object_type == "lead" else "name"
    assert model.objects.filter(**{field: "New"}).exists() == allowed
    if allowed:
        assert model.objects.get(**{field: "New"}).owner == user


@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
@pytest.mark.parametrize("action", ["convert", "mark-contacted", "disqualify", "behaviours"])
def test_api_lead_actions_follow_edit_access(org, actor, action):
    lead = make_record(org, actor, "own", "lead")
    rule = expected(actor, "own", "lead")
    body = {"reason": "x"} if action == "disqualify" else {}
    if action == "behaviours":
        body = {"kind": "web_visit"}

    response = write(
        client_for(actor_of(org, actor)), "post", f"/api/v1/leads/{lead.pk}/{action}/", body
    )

    # marketing may not create opportunities (the conversion makes one by default)
    can_convert = rule.editable and ACTOR_ROLES[actor] != "marketing"
    allowed = can_convert if action == "convert" else rule.editable
    assert response.status_code in ((200, 201) if allowed else (403,))
    lead.refresh_from_db()
    changed = {
        "convert": lead.status == "converted",
        "mark-contacted": lead.first_contacted_at is not None,
        "disqualify": lead.status == "disqualified",
        "behaviours": lead.behaviours.exists(),
    }[action]
    assert changed == allowed


def test_api_lead_actions_on_an_invisible_lead_are_404(org):
    lead = make_record(org, "east_rep", "other_team", "lead")
    client = client_for(org.east_rep)

    for action in ("convert", "mark-contacted", "disqualify", "reassign", "behaviours"):
        assert write(client, "post", f"/api/v1/leads/{lead.pk}/{action}/", {}).status_code == 404


# --------------------------------------------------------------------------------------------
# administration objects
# --------------------------------------------------------------------------------------------


def _admin_objects(org):
    scoring = LeadScoringRule.objects.create(
        name="Rule", field="mobile", operator="is_set", points=1
    )
    assignment = AssignmentRule.objects.create(name="Rule", team=org.east)
    availability = RepAvailability.objects.create(user=org.east_rep, max_open_leads=5)
    web_form = rules.create_web_form(org.admin, {"name": "Form"})
    return {
        "lead-scoring-rules": (
            scoring,
            {"name": "New", "kind": "behaviour", "behaviour": "web_visit", "points": 2},
            {"points": 3},
        ),
        "assignment-rules": (assignment, {"name": "New", "team": org.west.pk}, {"order": 3}),
        "rep-availability": (
            availability,
            {"user": org.east_rep2.pk, "max_open_leads": 4},
            {"max_open_leads": 6},
        ),
        "web-forms": (web_form, {"name": "New form"}, {"name": "Renamed"}),
    }


ADMIN_ENDPOINTS = ["lead-scoring-rules", "assignment-rules", "rep-availability", "web-forms"]


@pytest.mark.parametrize("endpoint", ADMIN_ENDPOINTS)
@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_admin_objects_are_read_by_staff_and_written_by_administrators(org, actor, endpoint):
    obj, create_body, patch_body = _admin_objects(org)[endpoint]
    client = client_for(actor_of(org, actor))
    url = f"/api/v1/{endpoint}/"
    is_admin = ACTOR_ROLES[actor] == "admin"
    model = type(obj)
    before = model.objects.count()

    listed = client.get(url)
    read = client.get(f"{url}{obj.pk}/")
    created = write(client, "post", url, create_body)
    patched = write(client, "patch", f"{url}{obj.pk}/", patch_body, etag=read["ETag"])
    deleted = write(client, "delete", f"{url}{obj.pk}/", etag=patched.get("ETag", read["ETag"]))

    assert (listed.status_code, read.status_code) == (200, 200)
    assert created.status_code == (201 if is_admin else 403)
    assert patched.status_code == (200 if is_admin else 403)
    assert deleted.status_code == (204 if is_admin else 403)
    # an administrator created one and deleted one; nobody else changed anything
    assert model.objects.count() == before
    if not is_admin:
        obj.refresh_from_db()
        assert obj.version == 1


@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_threshold_is_read_by_staff_and_set_by_administrators(org, actor):
    client = client_for(actor_of(org, actor))
    url = "/api/v1/lead-scoring-rules/settings/"

    read = client.get(url)
    written = write(client, "put", url, {"qualify_threshold": 70}, etag=read["ETag"])

    is_admin = ACTOR_ROLES[actor] == "admin"
    assert read.status_code == 200
    assert written.status_code == (200 if is_admin else 403)
    assert ScoringSettings.current().qualify_threshold == (70 if is_admin else 50)


def test_anonymous_callers_get_401_on_every_lead_endpoint(org):
    client = client_for(None)

    for endpoint in ["leads", "campaigns", *ADMIN_ENDPOINTS]:
        assert client.get(f"/api/v1/{endpoint}/").status_code == 401
    assert WebForm.objects.count() == 0
