"""The permission matrix, UI side: role × record relation × page, for accounts and contacts.

A record the user may not see answers 404 on every page (its existence does not leak); one they
see but may not change answers 403 on the edit and delete pages.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core import services as core
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import create_account, create_contact

pytestmark = pytest.mark.django_db

ROLES = ("admin", "east_manager", "east_rep", "service", "read_only")
RELATIONS = ("own", "team", "other_team", "shared_read", "shared_edit")
ALL = set(RELATIONS)

# What record access gives each user (the same for accounts and for contacts without account).
VISIBLE = {
    "admin": ALL,
    "east_manager": {"own", "team", "shared_read", "shared_edit"},
    "east_rep": {"own", "shared_read", "shared_edit"},
    "service": {"own", "shared_read", "shared_edit"},
    "read_only": {"own", "shared_read", "shared_edit"},
}
EDITABLE = {
    "admin": ALL,
    "east_manager": {"own", "team", "shared_edit"},
    "east_rep": {"own", "shared_edit"},
    "service": {"own", "shared_edit"},
    "read_only": set(),  # no edit right at all
}
# Role actions per object type (the built-in roles).
CAN_CREATE = {
    "account": {"admin", "east_manager", "east_rep"},
    "contact": {"admin", "east_manager", "east_rep", "service"},
}
CAN_DELETE = {
    "account": {"admin", "east_manager", "east_rep"},
    "contact": {"admin", "east_manager", "east_rep"},
}

MODELS = {
    "account": (Account, create_account),
    "contact": (Contact, create_contact),
}


def make_record(org, object_type: str, user, relation: str):
    """A record that stands in ``relation`` to ``user``."""
    model, create = MODELS[object_type]
    owner = {
        "own": user,
        "team": org.east_rep2,  # a member of East, the team the east users belong to
        "other_team": org.west_rep,
        "shared_read": org.west_rep,
        "shared_edit": org.west_rep,
    }[relation]
    obj = create(org.admin, {"name": f"{relation} record"}, owner=owner)
    if relation.startswith("shared_"):
        core.share_record(org.admin, obj, user=user, access=relation.removeprefix("shared_"))
    return obj


def form_data(object_type: str, name: str) -> dict[str, str]:
    """A valid create or edit form submission."""
    if object_type == "contact":
        return {"name": name}
    return {
        "name": name,
        "kind": "company",
        "relationship_class": "potential",
        "source_class": "end",
        "region_class": "own_region",
        "settlement": "cash",
        "receivables_class": "none",
        "profit_contribution": "ordinary",
        "country": "CN",
    }


def expected_status(role: str, relation: str, editable: bool) -> int:
    if relation not in VISIBLE[role]:
        return 404
    return 200 if editable else 403


CASES = [(t, r, rel) for t in MODELS for r in ROLES for rel in RELATIONS]
IDS = [f"{t}-{r}-{rel}" for t, r, rel in CASES]


@pytest.mark.parametrize(("object_type", "role", "relation"), CASES, ids=IDS)
def test_list_shows_exactly_the_visible_records(client, org, object_type, role, relation):
    user = getattr(org, role)
    obj = make_record(org, object_type, user, relation)
    client.force_login(user)

    html = client.get(reverse(f"customers:{object_type}-list")).content.decode()

    assert (f'data-id="{obj.pk}"' in html) == (relation in VISIBLE[role])


@pytest.mark.parametrize(("object_type", "role", "relation"), CASES, ids=IDS)
def test_detail_page_answers_404_when_not_visible(client, org, object_type, role, relation):
    user = getattr(org, role)
    obj = make_record(org, object_type, user, relation)
    client.force_login(user)

    response = client.get(reverse(f"customers:{object_type}-detail", args=[obj.pk]))

    assert response.status_code == (200 if relation in VISIBLE[role] else 404)


@pytest.mark.parametrize(("object_type", "role", "relation"), CASES, ids=IDS)
def test_edit_page_follows_record_access(client, org, object_type, role, relation):
    user = getattr(org, role)
    obj = make_record(org, object_type, user, relation)
    client.force_login(user)
    url = reverse(f"customers:{object_type}-edit", args=[obj.pk])
    editable = relation in EDITABLE[role]

    page = client.get(url)
    post = client.post(url, {**form_data(object_type, "Renamed"), "version": obj.version})

    model = MODELS[object_type][0]
    assert page.status_code == expected_status(role, relation, editable)
    assert post.status_code == (302 if editable else expected_status(role, relation, False))
    assert (model.objects.get(pk=obj.pk).name == "Renamed") == editable


@pytest.mark.parametrize(("object_type", "role", "relation"), CASES, ids=IDS)
def test_delete_page_follows_record_access_and_role(client, org, object_type, role, relation):
    user = getattr(org, role)
    obj = make_record(org, object_type, user, relation)
    client.force_login(user)
    url = reverse(f"customers:{object_type}-delete", args=[obj.pk])
    allowed = relation in EDITABLE[role] and role in CAN_DELETE[object_type]

    page = client.get(url)
    post = client.post(url, {"version": obj.version})

    model = MODELS[object_type][0]
    assert page.status_code == expected_status(role, relation, allowed)
    assert post.status_code == (302 if allowed else expected_status(role, relation, False))
    assert model.objects.filter(pk=obj.pk).exists() != allowed


@pytest.mark.parametrize(
    ("object_type", "role"), [(t, r) for t in MODELS for r in ROLES], ids=lambda v: str(v)
)
def test_create_page_follows_role(client, org, object_type, role):
    user = getattr(org, role)
    client.force_login(user)
    url = reverse(f"customers:{object_type}-create")
    allowed = role in CAN_CREATE[object_type]

    page = client.get(url)
    post = client.post(url, form_data(object_type, "Created here"))

    model = MODELS[object_type][0]
    assert page.status_code == (200 if allowed else 403)
    assert post.status_code == (302 if allowed else 403)
    assert model.objects.filter(name="Created here").exists() == allowed
    if allowed:
        assert model.objects.get(name="Created here").owner == user


def test_anonymous_user_is_sent_to_login(client, org):
    account = create_account(org.east_rep, {"name": "A"})

    for url in (
        reverse("customers:account-list"),
        reverse("customers:account-detail", args=[account.pk]),
        reverse("customers:account-edit", args=[account.pk]),
        reverse("customers:flow-report"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
