"""The permission matrix, UI side, for leads, campaigns and the lead administration pages.

A lead the user may not see answers 404 on every page; one they see but may not change answers
403 on the edit, delete, convert and action pages. Campaigns are public-read. The scoring,
assignment, availability and web-form pages answer 403 to anyone but administrators.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core import services as core
from guanxi.core.tests.factories import make_user
from guanxi.leads import rules, services
from guanxi.leads.models import AssignmentRule, Lead, LeadScoringRule
from guanxi.marketing.models import Campaign
from guanxi.marketing.services import create_campaign

pytestmark = pytest.mark.django_db

ROLES = ("admin", "east_manager", "east_rep", "marketer", "service", "read_only")
RELATIONS = ("own", "team", "other_team", "shared_read", "shared_edit")
ALL = set(RELATIONS)

# What record access gives each user on a private type (leads).
VISIBLE = {
    "admin": ALL,
    "east_manager": {"own", "team", "shared_read", "shared_edit"},
    "east_rep": {"own", "shared_read", "shared_edit"},
    "marketer": {"own", "shared_read", "shared_edit"},
    "service": {"own", "shared_read", "shared_edit"},
    "read_only": {"own", "shared_read", "shared_edit"},
}
WRITE_ACCESS = {
    "admin": ALL,
    "east_manager": {"own", "team", "shared_edit"},
    "east_rep": {"own", "shared_edit"},
    "marketer": {"own", "shared_edit"},
    "service": {"own", "shared_edit"},
    "read_only": {"own", "shared_edit"},
}
# Role actions per object type (the built-in roles).
CAN = {
    "lead": {
        "create": {"admin", "east_manager", "east_rep", "marketer"},
        "edit": {"admin", "east_manager", "east_rep", "marketer"},
        "delete": {"admin", "east_manager"},
    },
    "campaign": {
        "create": {"admin", "east_manager", "marketer"},
        "edit": {"admin", "east_manager", "marketer"},
        "delete": {"admin", "marketer"},
    },
}


def user_for(org, role: str):
    if role == "marketer":
        if not hasattr(org, "_marketer"):
            org._marketer = make_user("marketing", team=org.east, username="marketer")
        return org._marketer
    return getattr(org, role)


def visible(object_type: str, role: str, relation: str) -> bool:
    return object_type == "campaign" or relation in VISIBLE[role]


def editable(object_type: str, role: str, relation: str) -> bool:
    return role in CAN[object_type]["edit"] and relation in WRITE_ACCESS[role]


def make_record(org, object_type: str, user, relation: str):
    owner = {
        "own": user,
        "team": org.east_rep2,
        "other_team": org.west_rep,
        "shared_read": org.west_rep,
        "shared_edit": org.west_rep,
    }[relation]
    if object_type == "lead":
        obj = services.create_lead(
            org.admin, {"person_name": f"{relation} lead"}, assign=False, owner=owner
        )
    else:
        obj = create_campaign(org.admin, {"name": f"{relation} campaign"}, owner=owner)
    if relation.startswith("shared_"):
        core.share_record(org.admin, obj, user=user, access=relation.removeprefix("shared_"))
    return obj


def form_data(object_type: str, name: str) -> dict[str, str]:
    if object_type == "lead":
        return {"person_name": name, "source": "other", "currency": "CNY", "status": "new"}
    return {"name": name, "status": "planned", "currency": "CNY"}


def name_of(obj) -> str:
    return obj.person_name if isinstance(obj, Lead) else obj.name


def expected_status(visible_: bool, allowed: bool) -> int:
    if not visible_:
        return 404
    return 200 if allowed else 403


TYPES = ("lead", "campaign")
CASES = [(t, r, rel) for t in TYPES for r in ROLES for rel in RELATIONS]
IDS = [f"{t}-{r}-{rel}" for t, r, rel in CASES]
URL = {"lead": "leads:lead", "campaign": "marketing:campaign"}


@pytest.mark.parametrize(("object_type", "role", "relation"), CASES, ids=IDS)
def test_list_shows_exactly_the_visible_records(client, org, object_type, role, relation):
    user = user_for(org, role)
    obj = make_record(org, object_type, user, relation)
    client.force_login(user)

    html = client.get(reverse(f"{URL[object_type]}-list")).content.decode()

    assert (f'data-id="{obj.pk}"' in html) == visible(object_type, role, relation)


@pytest.mark.parametrize(("object_type", "role", "relation"), CASES, ids=IDS)
def test_detail_page_answers_404_when_not_visible(client, org, object_type, role, relation):
    user = user_for(org, role)
    obj = make_record(org, object_type, user, relation)
    client.force_login(user)

    response = client.get(reverse(f"{URL[object_type]}-detail", args=[obj.pk]))

    assert response.status_code == (200 if visible(object_type, role, relation) else 404)


@pytest.mark.parametrize(("object_type", "role", "relation"), CASES, ids=IDS)
def test_edit_page_follows_record_access(client, org, object_type, role, relation):
    user = user_for(org, role)
    obj = make_record(org, object_type, user, relation)
    client.force_login(user)
    url = reverse(f"{URL[object_type]}-edit", args=[obj.pk])
    allowed = editable(object_type, role, relation)
    seen = visible(object_type, role, relation)

    page = client.get(url)
    post = client.post(url, {**form_data(object_type, "Renamed"), "version": obj.version})

    obj.refresh_from_db()
    assert page.status_code == expected_status(seen, allowed)
    assert post.status_code == (302 if allowed else expected_status(seen, False))
    assert (name_of(obj) == "Renamed") == allowed


@pytest.mark.parametrize(("object_type", "role", "relation"), CASES, ids=IDS)
def test_delete_page_follows_record_access_and_role(client, org, object_type, role, relation):
    user = user_for(org, role)
    obj = make_record(org, object_type, user, relation)
    client.force_login(user)
    url = reverse(f"{URL[object_type]}-delete", args=[obj.pk])
    allowed = editable(object_type, role, relation) and role in CAN[object_type]["delete"]
    seen = visible(object_type, role, relation)

    page = client.get(url)
    post = client.post(url, {"version": obj.version})

    model = type(obj)
    assert page.status_code == expected_status(seen, allowed)
    assert post.status_code == (302 if allowed else expected_status(seen, False))
    assert model.objects.filter(pk=obj.pk).exists() != allowed


@pytest.mark.parametrize(
    ("object_type", "role"), [(t, r) for t in TYPES for r in ROLES], ids=lambda v: str(v)
)
def test_create_page_follows_role(client, org, object_type, role):
    user = user_for(org, role)
    client.force_login(user)
    url = reverse(f"{URL[object_type]}-create")
    allowed = role in CAN[object_type]["create"]

    page = client.get(url)
    post = client.post(url, form_data(object_type, "Created here"))

    model = Lead if object_type == "lead" else Campaign
    field = "person_name" if object_type == "lead" else "name"
    assert page.status_code == (200 if allowed else 403)
    assert post.status_code == (302 if allowed else 403)
    assert model.objects.filter(**{field: "Created here"}).exists() == allowed
    if allowed:
        assert model.objects.get(**{field: "Created here"}).owner == user


LEAD_CASES = [(r, rel) for r in ROLES for rel in RELATIONS]


@pytest.mark.parametrize(("role", "relation"), LEAD_CASES, ids=[f"{r}-{x}" for r, x in LEAD_CASES])
def test_lead_actions_follow_record_access(client, org, role, relation):
    user = user_for(org, role)
    lead = make_record(org, "lead", user, relation)
    client.force_login(user)
    allowed = editable("lead", role, relation)
    seen = visible("lead", role, relation)

    convert_page = client.get(reverse("leads:lead-convert", args=[lead.pk]))
    contacted = client.post(reverse("leads:lead-contacted", args=[lead.pk]))
    behaviour = client.post(reverse("leads:lead-behaviour", args=[lead.pk]), {"kind": "web_visit"})

    lead.refresh_from_db()
    assert convert_page.status_code == expected_status(seen, allowed)
    assert contacted.status_code == (302 if allowed else expected_status(seen, False))
    assert behaviour.status_code == (302 if allowed else expected_status(seen, False))
    assert (lead.first_contacted_at is not None) == allowed
    assert lead.behaviours.exists() == allowed


ADMIN_PAGES = [
    ("leads:scoring", []),
    ("leads:scoring-rule-create", []),
    ("leads:assignment", []),
    ("leads:assignment-rule-create", []),
    ("leads:availability", []),
    ("leads:web-forms", []),
    ("leads:web-form-create", []),
]


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_answer_403_to_all_but_administrators(client, org, role):
    user = user_for(org, role)
    client.force_login(user)
    scoring = LeadScoringRule.objects.create(name="R", field="mobile", operator="is_set", points=1)
    assignment = AssignmentRule.objects.create(name="R", team=org.east)
    web_form = rules.create_web_form(org.admin, {"name": "F"})
    pages = [
        *ADMIN_PAGES,
        ("leads:scoring-rule-edit", [scoring.pk]),
        ("leads:assignment-rule-edit", [assignment.pk]),
        ("leads:availability-edit", [org.east_rep.pk]),
        ("leads:web-form-edit", [web_form.pk]),
    ]
    want = 200 if role == "admin" else 403

    answers = {name: client.get(reverse(name, args=args)).status_code for name, args in pages}
    posts = [
        client.post(reverse("leads:scoring-rule-delete", args=[scoring.pk])).status_code,
        client.post(reverse("leads:assignment-rule-delete", args=[assignment.pk])).status_code,
        client.post(reverse("leads:web-form-delete", args=[web_form.pk])).status_code,
        client.post(reverse("leads:scoring"), {"qualify_threshold": 1}).status_code,
    ]

    assert answers == {name: want for name, _args in pages}
    assert posts == ([302] * 4 if role == "admin" else [403] * 4)


def test_anonymous_user_is_sent_to_login(client, org):
    lead = services.create_lead(org.east_rep, {"person_name": "A"}, assign=False)

    for url in (
        reverse("leads:lead-list"),
        reverse("leads:lead-detail", args=[lead.pk]),
        reverse("leads:lead-convert", args=[lead.pk]),
        reverse("leads:scoring"),
        reverse("marketing:campaign-list"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
