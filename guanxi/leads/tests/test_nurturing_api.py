"""/api/v1/sequences/ and /api/v1/enrollments/: nested steps, versions, enrolling, access."""

from __future__ import annotations

import pytest
from django.core import mail

from guanxi.core.api.testing import client_for, write
from guanxi.core.tests.factories import make_user
from guanxi.leads import nurturing, services
from guanxi.leads.models import Enrollment, Sequence

pytestmark = pytest.mark.django_db

LIST = "/api/v1/sequences/"
STEPS = [
    {"kind": "email", "subject": "Hello {name}", "body": "Welcome."},
    {"kind": "wait", "wait_days": 3},
    {"kind": "task", "subject": "Call {name}"},
]


def make_lead(actor, **data):
    data.setdefault("person_name", "Alice")
    data.setdefault("email", "alice@example.com")
    return services.create_lead(actor, data, assign=False)


@pytest.fixture
def sequence(org):
    return nurturing.create_sequence(org.admin, {"name": "Welcome"}, STEPS)


def test_marketing_creates_a_sequence_with_ordered_steps(org):
    marketer = make_user("marketing", team=org.east, username="marketer")
    response = write(client_for(marketer), "post", LIST, {"name": "Fair", "steps": STEPS})
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(s["order"], s["kind"]) for s in body["steps"]] == [
        (0, "email"),
        (1, "wait"),
        (2, "task"),
    ]
    assert body["active_enrollments"] == 0
    assert response["ETag"] == f'"sequence-{body["id"]}-v1"'


def test_updates_need_the_current_version_and_replace_the_steps(org, sequence):
    client = client_for(org.admin)
    url = f"{LIST}{sequence.pk}/"
    etag = client.get(url)["ETag"]
    assert write(client, "patch", url, {"name": "New"}).status_code == 428
    new_steps = [{"kind": "email", "subject": "Only", "body": "One step"}]
    changed = write(client, "patch", url, {"steps": new_steps}, etag=etag)
    assert changed.status_code == 200
    assert [s["subject"] for s in changed.json()["steps"]] == ["Only"]
    assert write(client, "patch", url, {"name": "Stale"}, etag=etag).status_code == 412
    renamed = write(client, "patch", url, {"name": "Renamed"}, etag=changed["ETag"])
    assert renamed.json()["name"] == "Renamed"
    assert len(renamed.json()["steps"]) == 1  # steps left as they were


def test_bad_steps_answer_400_naming_the_field(org):
    response = write(
        client_for(org.admin), "post", LIST, {"name": "Bad", "steps": [{"kind": "email"}]}
    )
    assert response.status_code == 400
    assert "steps" in response.json()
    assert not Sequence.objects.exists()


@pytest.mark.parametrize("who", ["director", "east_rep", "read_only"])
def test_only_administrators_and_marketing_write_sequences(org, sequence, who):
    client = client_for(getattr(org, who))
    assert client.get(LIST).status_code == 200
    url = f"{LIST}{sequence.pk}/"
    etag = client.get(url)["ETag"]
    assert write(client, "post", LIST, {"name": "Mine", "steps": STEPS}).status_code == 403
    assert write(client, "patch", url, {"name": "Mine"}, etag=etag).status_code == 403
    assert write(client, "delete", url, etag=etag).status_code == 403


def test_a_rep_enrols_leads_and_is_told_which_were_skipped(
    org, sequence, django_capture_on_commit_callbacks
):
    mine = make_lead(org.east_rep)
    opted_out = make_lead(org.east_rep, person_name="Bob", opted_out=True)
    theirs = make_lead(org.west_rep, person_name="Eve")
    client = client_for(org.east_rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = write(
            client,
            "post",
            f"{LIST}{sequence.pk}/enroll/",
            {"leads": [mine.pk, opted_out.pk, theirs.pk]},
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [e["lead"]["id"] for e in body["enrolled"]] == [mine.pk]
    assert {s["lead"]: s["reason"] for s in body["skipped"]} == {
        opted_out.pk: "opted_out",
        theirs.pk: "not_found",
    }
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_enrolments_are_listed_for_visible_leads_only_and_can_be_stopped(org, sequence):
    mine = make_lead(org.east_rep)
    theirs = make_lead(org.west_rep, person_name="Eve")
    nurturing.enroll_leads(org.east_rep, sequence, [mine])
    nurturing.enroll_leads(org.west_rep, sequence, [theirs])
    client = client_for(org.east_rep)
    listed = client.get("/api/v1/enrollments/").json()
    assert [e["lead"]["id"] for e in listed["results"]] == [mine.pk]
    of_sequence = client.get(f"{LIST}{sequence.pk}/enrollments/").json()
    assert of_sequence["count"] == 1
    theirs_row = Enrollment.objects.get(lead=theirs)
    assert client.get(f"/api/v1/enrollments/{theirs_row.pk}/").status_code == 404
    assert write(client, "post", f"/api/v1/enrollments/{theirs_row.pk}/stop/").status_code == 404
    mine_row = Enrollment.objects.get(lead=mine)
    stopped = write(client, "post", f"/api/v1/enrollments/{mine_row.pk}/stop/", {"reason": "x"})
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "stopped"
    filtered = client.get("/api/v1/enrollments/", {"status": "active"}).json()
    assert filtered["count"] == 0


def test_the_nurturing_endpoints_are_in_the_schema(org):
    paths = client_for(org.admin).get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "/api/v1/sequences/" in paths
    assert "/api/v1/sequences/{id}/enroll/" in paths
    assert "/api/v1/sequences/{id}/enrollments/" in paths
    assert "/api/v1/enrollments/{id}/stop/" in paths


# who sees (list, detail) and who may stop an enrolment on a lead the east rep owns:
# the owner, the managers above (east manager, director) and administrators; a read share
# shows it without the right to stop it; anyone else gets 404.
MATRIX = [
    ("east_rep", True, True),
    ("east_manager", True, True),
    ("director", True, True),
    ("admin", True, True),
    ("east_rep2", False, False),
    ("west_rep", False, False),
    ("read_only", False, False),
    ("shared_with_west_rep", True, False),
]


@pytest.mark.parametrize("who,sees,stops", MATRIX)
def test_enrolment_access_follows_the_lead(org, sequence, who, sees, stops):
    from guanxi.core.services import share_record

    lead = make_lead(org.east_rep)
    nurturing.enroll_leads(org.east_rep, sequence, [lead])
    enrollment = Enrollment.objects.get()
    if who == "shared_with_west_rep":
        share_record(org.east_rep, lead, user=org.west_rep, access="read")
        user = org.west_rep
    else:
        user = getattr(org, who)
    client = client_for(user)
    listed = client.get("/api/v1/enrollments/").json()["results"]
    assert [e["id"] for e in listed] == ([enrollment.pk] if sees else [])
    detail = client.get(f"/api/v1/enrollments/{enrollment.pk}/")
    assert detail.status_code == (200 if sees else 404)
    stop = write(client, "post", f"/api/v1/enrollments/{enrollment.pk}/stop/")
    assert stop.status_code == (200 if stops else 403 if sees else 404)
    enrollment.refresh_from_db()
    assert enrollment.status == ("stopped" if stops else "active")
