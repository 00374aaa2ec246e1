"""The UI permission matrix for activities and call lists (see permissions.py for the rules)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.activities.models import Activity, CallListEntry

from .helpers import outcome
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

ACTIVITY_PAGES = ["list", "detail", "edit", "complete", "delete"]
CALL_LIST_PAGES = ["list", "detail", "edit", "delete", "call"]


def activity_matrix():
    for actor, relation in ACTIVITY_CASES:
        for page in ACTIVITY_PAGES:
            yield pytest.param(actor, relation, page, id=f"activity-{actor}-{relation}-{page}")


@pytest.mark.parametrize(("actor", "relation", "page"), list(activity_matrix()))
def test_activity_pages_permission_matrix(client, org, actor, relation, page):
    activity = make_activity_for(org, actor, relation)
    rule = expected(actor, relation, "activity")
    client.force_login(getattr(org, actor))

    if page == "list":
        response = client.get(reverse("activities:activity-list"), {"per_page": 200})
        shown = [obj.pk for obj, _cells in response.context["rows"]]
        assert (activity.pk in shown) == rule.visible
    elif page == "detail":
        response = client.get(activity.get_absolute_url())
        assert response.status_code == (200 if rule.visible else 404)
        if rule.visible:
            assert (response.context["edit_url"] is not None) == rule.editable
    elif page == "edit":
        response = client.get(reverse("activities:activity-edit", args=[activity.pk]))
        assert response.status_code == (200 if rule.editable else 403 if rule.visible else 404)
    elif page == "complete":
        response = client.post(
            reverse("activities:activity-complete", args=[activity.pk]),
            {"version": activity.version},
        )
        assert response.status_code == (302 if rule.editable else 403 if rule.visible else 404)
        assert (Activity.objects.get(pk=activity.pk).status == "done") == rule.editable
    elif page == "delete":
        response = client.post(
            reverse("activities:activity-delete", args=[activity.pk]),
            {"version": activity.version},
        )
        assert response.status_code == (302 if rule.deletable else 403 if rule.visible else 404)
        assert Activity.objects.filter(pk=activity.pk).exists() != rule.deletable


@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_activity_create_page_permission(client, org, actor):
    allowed = "create" in ROLE_ACTIONS[ACTOR_ROLES[actor]]["activity"]
    client.force_login(getattr(org, actor))

    response = client.get(reverse("activities:activity-create"))

    assert response.status_code == (200 if allowed else 403)


def call_list_matrix():
    for actor, relation in CALL_LIST_CASES:
        for page in CALL_LIST_PAGES:
            yield pytest.param(actor, relation, page, id=f"calllist-{actor}-{relation}-{page}")


@pytest.mark.parametrize(("actor", "relation", "page"), list(call_list_matrix()))
def test_call_list_pages_permission_matrix(client, org, actor, relation, page):
    call_list = make_call_list_for(org, actor, relation)
    entry = call_list.entries.get()
    rule = expected(actor, relation, "calllist")
    client.force_login(getattr(org, actor))

    if page == "list":
        response = client.get(reverse("activities:calllist-list"))
        shown = [obj.pk for obj, _cells in response.context["rows"]]
        assert (call_list.pk in shown) == rule.visible
    elif page == "detail":
        response = client.get(call_list.get_absolute_url())
        assert response.status_code == (200 if rule.visible else 404)
    elif page == "edit":
        response = client.get(reverse("activities:calllist-edit", args=[call_list.pk]))
        assert response.status_code == (200 if rule.editable else 403 if rule.visible else 404)
    elif page == "delete":
        response = client.get(reverse("activities:calllist-delete", args=[call_list.pk]))
        assert response.status_code == (200 if rule.deletable else 403 if rule.visible else 404)
    elif page == "call":
        allowed = can_log(actor, relation)
        url = reverse("activities:call-screen", args=[call_list.pk, entry.pk])
        screen = client.get(url)
        assert screen.status_code == (200 if allowed else 403 if rule.visible else 404)
        client.post(url, {"_action": "log", "outcome": outcome("interested").pk})
        assert (CallListEntry.objects.get(pk=entry.pk).status == "done") == allowed


@pytest.mark.parametrize("actor", list(ACTOR_ROLES))
def test_call_list_create_page_permission(client, org, actor):
    allowed = "create" in ROLE_ACTIONS[ACTOR_ROLES[actor]]["calllist"]
    client.force_login(getattr(org, actor))

    response = client.get(reverse("activities:calllist-create"))

    assert response.status_code == (200 if allowed else 403)
