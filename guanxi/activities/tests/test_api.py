"""The activities, call lists, call outcomes and notifications endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.activities import services
from guanxi.activities.models import Activity, CallList, CallListEntry, CallOutcome
from guanxi.core.api.testing import client_for, write
from guanxi.core.models import Notification
from guanxi.leads.models import Lead, LeadStatus

from .helpers import make_account, make_activity, make_lead, outcome

pytestmark = pytest.mark.django_db

URL = "/api/v1/activities/"


def test_create_an_activity_on_a_record(org):
    account = make_account(org.east_rep)
    client = client_for(org.east_rep)

    response = write(
        client,
        "post",
        URL,
        {
            "kind": "call",
            "subject": "Call the buyer",
            "object_type": "account",
            "object_id": account.pk,
            "due_at": "2026-12-01T10:00:00+08:00",
            "reminder_minutes": 30,
        },
    )

    assert response.status_code == 201, response.data
    data = response.data
    assert (data["object_type"], data["object_id"], data["account"]) == (
        "account",
        account.pk,
        account.pk,
    )
    assert data["status"] == "open"
    assert data["reminder_at"] == "2026-12-01T09:30:00+08:00"
    assert response["ETag"] == f'"activity-{data["id"]}-v1"'
    assert data["owner"]["id"] == org.east_rep.pk


def test_create_on_an_invisible_record_is_400_naming_the_field(org):
    theirs = make_account(org.west_rep)

    response = write(
        client_for(org.east_rep),
        "post",
        URL,
        {"subject": "Peek", "object_type": "account", "object_id": theirs.pk},
    )

    assert response.status_code == 400
    assert "object_id" in response.data
    assert not Activity.objects.exists()


def test_create_on_an_unknown_type_is_400(org):
    response = write(
        client_for(org.east_rep),
        "post",
        URL,
        {"subject": "x", "object_type": "user", "object_id": 1},
    )

    assert response.status_code == 400
    assert "object_type" in response.data


def test_meeting_without_start_is_400_naming_the_field(org):
    response = write(client_for(org.east_rep), "post", URL, {"subject": "Meet", "kind": "meeting"})

    assert response.status_code == 400
    assert "start_at" in response.data


def test_status_cannot_be_written(org):
    task = make_activity(org.east_rep)

    response = write(
        client_for(org.east_rep), "patch", f"{URL}{task.pk}/", {"status": "done"}, etag=task.etag
    )

    assert response.status_code == 200
    assert Activity.objects.get(pk=task.pk).status == "open"


def test_update_needs_if_match_and_refuses_a_stale_one(org):
    task = make_activity(org.east_rep)
    client = client_for(org.east_rep)
    detail = f"{URL}{task.pk}/"

    without = write(client, "patch", detail, {"subject": "No tag"})
    ok = write(client, "patch", detail, {"subject": "First"}, etag=task.etag)
    stale = write(client, "patch", detail, {"subject": "Second"}, etag=task.etag)

    assert without.status_code == 428
    assert ok.status_code == 200
    assert ok["ETag"] == f'"activity-{task.pk}-v2"'
    assert stale.status_code == 412
    assert stale["ETag"] == ok["ETag"]
    assert Activity.objects.get(pk=task.pk).subject == "First"


def test_get_answers_the_etag_and_304_when_unchanged(org):
    task = make_activity(org.east_rep)
    client = client_for(org.east_rep)

    first = client.get(f"{URL}{task.pk}/")
    again = client.get(f"{URL}{task.pk}/", headers={"If-None-Match": first["ETag"]})

    assert first["ETag"] == task.etag
    assert again.status_code == 304


def test_complete_a_call_on_a_lead(org):
    lead = make_lead(org.east_rep)
    call = make_activity(org.east_rep, kind="call", related=lead)

    response = write(
        client_for(org.east_rep),
        "post",
        f"{URL}{call.pk}/complete/",
        {"outcome": "interested", "result": "Demo on Friday"},
        etag=call.etag,
    )

    assert response.status_code == 200, response.data
    assert (response.data["status"], response.data["outcome"]) == ("done", "interested")
    assert response.data["note"] is not None
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED


def test_complete_with_a_stale_tag_is_412(org):
    task = make_activity(org.east_rep)
    services.update_activity(org.east_rep, task, {"subject": "x"}, expected_version=1)

    response = write(
        client_for(org.east_rep), "post", f"{URL}{task.pk}/complete/", {}, etag=task.etag
    )

    assert response.status_code == 412
    assert Activity.objects.get(pk=task.pk).status == "open"


def test_complete_twice_is_400(org):
    task = make_activity(org.east_rep)
    client = client_for(org.east_rep)
    write(client, "post", f"{URL}{task.pk}/complete/", {})

    response = write(client, "post", f"{URL}{task.pk}/complete/", {})

    assert response.status_code == 400
    assert "status" in response.data


def test_cancel(org):
    task = make_activity(org.east_rep)

    response = write(
        client_for(org.east_rep), "post", f"{URL}{task.pk}/cancel/", {"reason": "Trip cancelled"}
    )

    assert response.data["status"] == "cancelled"


def test_delete_needs_if_match(org):
    task = make_activity(org.east_rep)
    client = client_for(org.east_rep)

    assert write(client, "delete", f"{URL}{task.pk}/").status_code == 428
    assert write(client, "delete", f"{URL}{task.pk}/", etag=task.etag).status_code == 204
    assert not Activity.objects.filter(pk=task.pk).exists()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "call"}, ["Call A"]),
        ({"status": "done"}, ["Done task"]),
        ({"due_after": "2026-12-02T00:00:00Z", "due_before": "2026-12-04T00:00:00Z"}, ["Call A"]),
        ({"object_type": "lead"}, ["Call A"]),
        ({"overdue": "true"}, ["Overdue task"]),
    ],
)
def test_list_filters(org, params, expected):
    lead = make_lead(org.east_rep)
    make_activity(
        org.east_rep,
        "Call A",
        kind="call",
        related=lead,
        due_at=dt.datetime(2026, 12, 3, tzinfo=dt.UTC),
    )
    make_activity(org.east_rep, "Overdue task", due_at=timezone.now() - dt.timedelta(days=1))
    done = make_activity(org.east_rep, "Done task", due_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    services.complete_activity(org.east_rep, done)

    response = client_for(org.east_rep).get(URL, params)

    assert sorted(row["subject"] for row in response.data["results"]) == expected


def test_list_filters_by_the_record_and_owner(org):
    lead = make_lead(org.east_rep)
    on_lead = make_activity(org.east_rep, related=lead)
    make_activity(org.east_rep)
    managed = make_activity(org.east_rep2, "Colleague's")
    client = client_for(org.east_manager)

    by_record = client.get(URL, {"object_type": "lead", "object_id": lead.pk})
    by_owner = client.get(URL, {"owner": org.east_rep2.pk})

    assert [r["id"] for r in by_record.data["results"]] == [on_lead.pk]
    assert [r["id"] for r in by_owner.data["results"]] == [managed.pk]


def test_activities_are_in_the_openapi_schema(org):
    response = client_for(org.east_rep).get("/api/schema/", {"format": "json"})

    paths = response.json()["paths"]
    for path in (
        "/api/v1/activities/",
        "/api/v1/activities/{id}/complete/",
        "/api/v1/activities/{id}/cancel/",
        "/api/v1/call-lists/",
        "/api/v1/call-lists/{id}/entries/",
        "/api/v1/call-lists/{id}/entries/{entry_id}/log/",
        "/api/v1/call-outcomes/",
        "/api/v1/notifications/",
        "/api/v1/notifications/{id}/read/",
    ):
        assert path in paths, path


# -- call lists ---------------------------------------------------------------------------------


def test_build_a_call_list_log_a_call_and_read_the_entries(org):
    for name in ("甲", "乙"):
        make_lead(org.east_rep, name, source="trade_show")
    make_lead(org.west_rep, "丙", source="trade_show")
    client = client_for(org.east_rep)

    created = write(
        client,
        "post",
        "/api/v1/call-lists/",
        {
            "name": "Show",
            "object_type": "lead",
            "query": "source=trade_show",
            "script": "Hi {name}",
        },
    )
    assert created.status_code == 201, created.data
    assert (created.data["entry_count"], created.data["done_count"]) == (2, 0)
    list_url = f"/api/v1/call-lists/{created.data['id']}/"

    entries = client.get(f"{list_url}entries/")
    assert [e["label"] for e in entries.data["results"]] == ["甲", "乙"]
    entry_id = entries.data["results"][0]["id"]
    when = (timezone.now() + dt.timedelta(days=1)).isoformat()
    logged = write(
        client,
        "post",
        f"{list_url}entries/{entry_id}/log/",
        {"outcome": "call_back", "notes": "Busy now", "next_call_at": when},
    )

    assert logged.status_code == 200, logged.data
    assert (logged.data["status"], logged.data["outcome"]) == ("done", "call_back")
    assert logged.data["next_activity"] is not None
    pending = client.get(f"{list_url}entries/", {"status": "pending"})
    assert [e["label"] for e in pending.data["results"]] == ["乙"]
    assert client.get(list_url).data["done_count"] == 1


def test_log_without_the_needed_next_call_is_400(org):
    make_lead(org.east_rep, source="trade_show")
    call_list = services.create_call_list(
        org.east_rep, {"name": "x", "record_type": "lead", "query": "source=trade_show"}
    )
    entry = call_list.entries.get()

    response = write(
        client_for(org.east_rep),
        "post",
        f"/api/v1/call-lists/{call_list.pk}/entries/{entry.pk}/log/",
        {"outcome": "no_answer"},
    )

    assert response.status_code == 400
    assert "next_call_at" in response.data
    assert CallListEntry.objects.get(pk=entry.pk).status == "pending"


def test_call_list_with_a_bad_filter_is_400(org):
    response = write(
        client_for(org.east_rep),
        "post",
        "/api/v1/call-lists/",
        {"name": "x", "object_type": "lead", "query": "source=nothing-matches"},
    )

    assert response.status_code == 400
    assert "query" in response.data
    assert not CallList.all_objects.exists()


def test_call_list_keeps_its_filter_on_update(org):
    make_lead(org.east_rep, source="trade_show")
    call_list = services.create_call_list(
        org.east_rep, {"name": "x", "record_type": "lead", "query": "source=trade_show"}
    )

    response = write(
        client_for(org.east_rep),
        "patch",
        f"/api/v1/call-lists/{call_list.pk}/",
        {"name": "Renamed", "query": "source=web_form"},
        etag=call_list.etag,
    )

    assert response.status_code == 200
    assert (response.data["name"], response.data["query"]) == ("Renamed", "source=trade_show")


# -- call outcomes ------------------------------------------------------------------------------


def test_staff_read_outcomes_and_administrators_write_them(org):
    rep, admin = client_for(org.east_rep), client_for(org.admin)

    listed = rep.get("/api/v1/call-outcomes/")
    refused = write(rep, "post", "/api/v1/call-outcomes/", {"code": "x", "label": "X"})
    created = write(admin, "post", "/api/v1/call-outcomes/", {"code": "x", "label": "X"})

    assert "interested" in [o["code"] for o in listed.data["results"]]
    assert refused.status_code == 403
    assert created.status_code == 201
    outcome_id = created.data["id"]
    stale = write(
        admin,
        "patch",
        f"/api/v1/call-outcomes/{outcome_id}/",
        {"label": "Y"},
        etag=f'"calloutcome-{outcome_id}-v0"',
    )
    assert stale.status_code == 412
    changed = write(
        admin, "patch", f"/api/v1/call-outcomes/{outcome_id}/", {"label": "Y"}, etag=created["ETag"]
    )
    assert changed.data["label"] == "Y"


def test_a_duplicate_outcome_code_is_400(org):
    response = write(
        client_for(org.admin), "post", "/api/v1/call-outcomes/", {"code": "busy", "label": "B"}
    )

    assert response.status_code == 400
    assert "code" in response.data
    assert CallOutcome.objects.filter(code="busy").count() == 1


# -- notifications ------------------------------------------------------------------------------


def test_notifications_are_the_callers_own_and_can_be_marked_read(org):
    make_activity(org.east_rep, reminder_at=timezone.now() - dt.timedelta(minutes=1))
    make_activity(org.west_rep, reminder_at=timezone.now() - dt.timedelta(minutes=1))
    services.send_reminders()
    mine = Notification.objects.get(user=org.east_rep)
    theirs = Notification.objects.get(user=org.west_rep)
    client = client_for(org.east_rep)

    listed = client.get("/api/v1/notifications/", {"unread": "true"})
    other = client.get(f"/api/v1/notifications/{theirs.pk}/")
    read = write(client, "post", f"/api/v1/notifications/{mine.pk}/read/")
    read_theirs = write(client, "post", f"/api/v1/notifications/{theirs.pk}/read/")

    assert [n["id"] for n in listed.data["results"]] == [mine.pk]
    assert other.status_code == 404
    assert read.data["read_at"] is not None
    assert read_theirs.status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert client.get("/api/v1/notifications/", {"unread": "true"}).data["results"] == []


def test_mark_all_notifications_read(org):
    for _ in range(2):
        make_activity(org.east_rep, reminder_at=timezone.now() - dt.timedelta(minutes=1))
    services.send_reminders()

    response = write(client_for(org.east_rep), "post", "/api/v1/notifications/read-all/")

    assert response.data == {"marked": 2}


def test_outcome_of_a_completed_call_by_code(org):
    call = make_activity(org.east_rep, kind="call")
    services.complete_activity(org.east_rep, call, outcome=outcome("busy"))

    response = client_for(org.east_rep).get(URL, {"outcome": outcome("busy").pk})

    assert [r["id"] for r in response.data["results"]] == [call.pk]
