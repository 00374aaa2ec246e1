"""The API permission matrix for activities and call lists (see permissions.py for the rules)."""

from __future__ import annotations

import pytest

from guanxi.activities.models import Activity, CallList, CallListEntry
from guanxi.core.api.testing import client_for, write

from .permissions import (
    ACTIVITY_CASES,
    ACTOR_ROLES,
    CALL_LIST_CASES,
    ROLE_ACTIONS,
    can_log,
    expected,
    make_activity_for,
    make_call_list_for,
)

pytestmark = pytest.mark.django_db

ACTIVITY_ACTIONS = ["list", "detail", "edit", "complete", "delete"]
CALL_LIST_ACTIONS = ["list", "detail", "edit", "delete", "entries", "log"]


def activity_matrix():
    for actor, relation in ACTIVITY_CASES:
        for action in ACTIVITY_ACTIONS:
            yield pytest.param(actor, relation, action, id=f"activity-{actor}-{relation}-{action}")


@pytest.mark.parametrize(("actor", "relation", "action"), list(activity_matrix()))
def test_activity_api_permission_matrix(org, actor, relation, action):
    activity = make_activity_for(org, actor, relation)
    rule = expected(actor, relation, "activity")
    client = client_for(getattr(org, actor))
    url = f"/api/v1/activities/{activity.pk}/"

    if action == "list":
        response = client.get("/api/v1/activities/", {"page_size": 500})
        ids = [row["id"] for row in response.data["results"]]
        assert (activity.pk in ids) == rule.visible
    elif action == "detail":
        assert client.get(url).status_code == (200 if rule.visible else 404)
    elif action == "edit":
        response = write(client, "patch", url, {"subject": "edited"}, etag=activity.etag)
        assert response.status_code == (200 if rule.editable else 403 if rule.visible else 404)
        assert (Activity.objects.get(pk=activity.pk).subject == "edited") == rule.editable
    elif action == "complete":
        response = write(client, "post", f"{url}complete/", {})
        assert response.status_code == (200 if rule.editable else 403 if rule.visible else 404)
        assert (Activity.objects.get(pk=activity.pk).status == "done") == rule.editable
    elif action == "delete":
        response = write(client, "delete", url, etag=activity.etag)
        assert response.status_code == (204 if rule.deletable else 403 if rule.visible else 404)
        assert Activity.objects.filter(pk=activity.pk).exists() != rule.deletable


@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_activity_api_create_permission(org, actor):
    allowed = "create" in ROLE_ACTIONS[ACTOR_ROLES[actor]]["activity"]

    response = write(
        client_for(getattr(org, actor)), "post", "/api/v1/activities/", {"subject": "N"}
    )

    assert response.status_code == (201 if allowed else 403)
    assert Activity.objects.filter(subject="N").exists() == allowed


def call_list_matrix():
    for actor, relation in CALL_LIST_CASES:
        for action in CALL_LIST_ACTIONS:
            yield pytest.param(actor, relation, action, id=f"calllist-{actor}-{relation}-{action}")


@pytest.mark.parametrize(("actor", "relation", "action"), list(call_list_matrix()))
def test_call_list_api_permission_matrix(org, actor, relation, action):
    call_list = make_call_list_for(org, actor, relation)
    entry = call_list.entries.get()
    rule = expected(actor, relation, "calllist")
    client = client_for(getattr(org, actor))
    url = f"/api/v1/call-lists/{call_list.pk}/"

    if action == "list":
        response = client.get("/api/v1/call-lists/", {"page_size": 500})
        assert (call_list.pk in [row["id"] for row in response.data["results"]]) == rule.visible
    elif action == "detail":
        assert client.get(url).status_code == (200 if rule.visible else 404)
    elif action == "entries":
        response = client.get(f"{url}entries/")
        assert response.status_code == (200 if rule.visible else 404)
    elif action == "edit":
        response = write(client, "patch", url, {"name": "edited"}, etag=call_list.etag)
        assert response.status_code == (200 if rule.editable else 403 if rule.visible else 404)
        assert (CallList.objects.get(pk=call_list.pk).name == "edited") == rule.editable
    elif action == "delete":
        response = write(client, "delete", url, etag=call_list.etag)
        assert response.status_code == (204 if rule.deletable else 403 if rule.visible else 404)
        assert CallList.objects.filter(pk=call_list.pk).exists() != rule.deletable
    elif action == "log":
        allowed = can_log(actor, relation)
        response = write(client, "post", f"{url}entries/{entry.pk}/log/", {"outcome": "interested"})
        assert response.status_code == (200 if allowed else 403 if rule.visible else 404)
        assert (CallListEntry.objects.get(pk=entry.pk).status == "done") == allowed


@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_call_list_api_create_permission(org, actor):
    from guanxi.leads.services import create_lead

    allowed = "create" in ROLE_ACTIONS[ACTOR_ROLES[actor]]["calllist"]
    create_lead(org.admin, {"person_name": "x"}, assign=False, owner=getattr(org, actor))

    response = write(
        client_for(getattr(org, actor)),
        "post",
        "/api/v1/call-lists/",
        {"name": "N", "object_type": "lead", "query": ""},
    )

    assert response.status_code == (201 if allowed else 403)
    assert CallList.objects.filter(name="N").exists() == allowed
