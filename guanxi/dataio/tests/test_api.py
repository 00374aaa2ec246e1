"""The import and export API: /api/v1/imports/, /api/v1/exports/…, /api/v1/jobs/."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from rest_framework.test import APIClient

from guanxi.core.models import Job
from guanxi.core.tests.factories import AccountFactory
from guanxi.customers.models import Account
from guanxi.dataio import tasks
from guanxi.dataio.models import ImportBatch

from .conftest import USCC_A, USCC_B, csv_file, xlsx_file

ROWS = [
    ["客户名称", "电话", "统一社会信用代码", "城市"],
    ["上海星辰机械有限公司", "021-61234567", USCC_A, "上海"],
    ["北京云杉科技有限公司", "010-81234567", USCC_B, "北京"],
]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def upload(org):
    def do(user=None, rows=ROWS, make=csv_file, object_type="account"):
        client = client_for(user or org.east_rep)
        response = client.post(
            "/api/v1/imports/", {"object_type": object_type, "file": make(rows)}, format="multipart"
        )
        return client, response

    return do


def test_upload_answers_the_columns_and_the_suggested_mapping(upload):
    _client, response = upload()
    assert response.status_code == 201
    body = response.json()
    assert body["headers"] == ROWS[0]
    assert body["mapping"] == {"0": "name", "1": "phone", "2": "tax_number", "3": "city"}
    assert body["row_count"] == 2
    assert body["status"] == "uploaded"
    assert {"name": "name", "label": "Name", "required": True} in body["importable_fields"]


def test_the_whole_import_through_the_api(upload, org, django_capture_on_commit_callbacks):
    client, response = upload()
    pk = response.json()["id"]
    # map (drop the city), preview, apply
    response = client.post(
        f"/api/v1/imports/{pk}/mapping/",
        {"mapping": {"0": "name", "1": "phone", "2": "tax_number"}},
        format="json",
    )
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{pk}/preview/")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    body = client.get(f"/api/v1/imports/{pk}/").json()
    assert (body["status"], body["error_rows"], body["job"]["progress"]) == ("previewed", 0, 100)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{pk}/apply/")
    assert response.status_code == 202
    job_id = response.json()["id"]
    job = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert (job["kind"], job["status"], job["progress"]) == ("import.apply", "done", 100)
    body = client.get(f"/api/v1/imports/{pk}/").json()
    assert (body["status"], body["created_count"]) == ("applied", 2)
    created = Account.objects.filter(pk__in=body["created_ids"])
    assert {a.city for a in created} == {""}
    assert {a.owner for a in created} == {org.east_rep}


def test_a_bad_row_through_the_api_is_reported_and_nothing_written(
    upload, django_capture_on_commit_callbacks
):
    rows = [*ROWS[:2], ["坏公司", "电话?", "", ""], ROWS[2]]
    client, response = upload(rows=rows, make=xlsx_file)
    pk = response.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/imports/{pk}/preview/")
    body = client.get(f"/api/v1/imports/{pk}/").json()
    assert body["rows"] == [
        {
            "row": 3,
            "values": {"name": "坏公司", "phone": "电话?", "tax_number": "", "city": ""},
            "errors": {"phone": ["Enter a valid phone number."]},
            "duplicates": [],
            "decision": "",
            "skipped": False,
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/imports/{pk}/apply/")
    body = client.get(f"/api/v1/imports/{pk}/").json()
    assert body["status"] == "failed"
    assert body["job"]["status"] == "failed"
    assert body["job"]["result"]["rows"][0]["row"] == 3
    assert Account.objects.count() == 0


def test_duplicate_decisions_through_the_api(upload, org, django_capture_on_commit_callbacks):
    AccountFactory(name="旧名字", tax_number=USCC_A, owner=org.east_rep)
    client, response = upload()
    pk = response.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/imports/{pk}/preview/")
    row = client.get(f"/api/v1/imports/{pk}/").json()["rows"][0]
    assert (row["row"], row["decision"], row["skipped"]) == (2, "skip", True)
    assert row["duplicates"][0]["label"] == "旧名字"
    response = client.post(
        f"/api/v1/imports/{pk}/decisions/", {"decisions": {"2": "import"}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["rows"][0]["decision"] == "import"
    response = client.post(
        f"/api/v1/imports/{pk}/decisions/", {"decisions": {"3": "import"}}, format="json"
    )
    assert response.status_code == 400
    assert "decisions" in response.json()


def test_a_wrong_mapping_is_a_400_naming_the_field(upload):
    client, response = upload()
    pk = response.json()["id"]
    response = client.post(
        f"/api/v1/imports/{pk}/mapping/", {"mapping": {"1": "phone"}}, format="json"
    )
    assert response.status_code == 400
    assert "mapping" in response.json()


def test_upload_without_the_create_right_is_403(upload, org):
    _client, response = upload(user=org.read_only)
    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_upload_of_an_unknown_type_is_400(upload):
    _client, response = upload(object_type="spaceship")
    assert response.status_code == 400
    assert "object_type" in response.json()


def test_someone_elses_import_and_job_are_404(upload, org, django_capture_on_commit_callbacks):
    client, response = upload()
    pk = response.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post(f"/api/v1/imports/{pk}/preview/").json()["id"]
    other = client_for(org.west_rep)
    assert other.get(f"/api/v1/imports/{pk}/").status_code == 404
    assert other.post(f"/api/v1/imports/{pk}/apply/").status_code == 404
    assert other.get(f"/api/v1/jobs/{job_id}/").status_code == 404
    assert other.get("/api/v1/imports/").json()["count"] == 0


def test_applying_before_the_preview_is_refused(upload):
    client, response = upload()
    response = client.post(f"/api/v1/imports/{response.json()['id']}/apply/")
    assert response.status_code == 400
    assert "status" in response.json()


# --------------------------------------------------------------------------------------------
# exports
# --------------------------------------------------------------------------------------------


@pytest.fixture
def accounts(org):
    AccountFactory(name="东区上海", city="上海", owner=org.east_rep)
    AccountFactory(name="东区北京", city="北京", owner=org.east_rep)
    AccountFactory(name="西区上海", city="上海", owner=org.west_rep)


def test_export_csv_has_a_bom_and_the_filtered_visible_rows(org, accounts):
    response = client_for(org.east_manager).get(
        "/api/v1/exports/accounts.csv", {"city": "上海"}, HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["东区上海"]


def test_export_xlsx_through_the_api(org, accounts):
    from openpyxl import load_workbook

    response = client_for(org.director).get("/api/v1/exports/accounts.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 4


def test_export_without_the_export_right_is_403(org, accounts):
    response = client_for(org.east_rep).get("/api/v1/exports/accounts.csv")
    assert response.status_code == 403


def test_export_with_a_bad_filter_is_400_naming_it(org):
    response = client_for(org.director).get("/api/v1/exports/accounts.csv", {"rating": "x"})
    assert response.status_code == 400
    assert "rating" in response.json()


def test_export_of_an_unknown_type_or_format_is_404(org):
    client = client_for(org.director)
    assert client.get("/api/v1/exports/spaceships.csv").status_code == 404
    assert client.get("/api/v1/exports/accounts.pdf").status_code == 404


def test_a_large_export_answers_202_and_its_file_downloads_when_done(
    org, accounts, settings, django_capture_on_commit_callbacks
):
    settings.GUANXI_EXPORT_SYNC_ROWS = 1
    client = client_for(org.director)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/api/v1/exports/contacts.csv")
    assert response.status_code == 200  # no contacts: small
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/api/v1/exports/accounts.csv")
    assert response.status_code == 202
    export_id = response.json()["id"]
    body = client.get(f"/api/v1/exports/{export_id}/").json()
    assert body["job"]["status"] == "done"
    assert body["row_count"] == 3
    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\xef\xbb\xbf")
    # and nobody else may fetch it
    other = client_for(org.east_manager)
    assert other.get(f"/api/v1/exports/{export_id}/download/").status_code == 404


# --------------------------------------------------------------------------------------------
# the request does not wait for the job (thread mode, the embedded default)
# --------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_apply_answers_before_the_import_job_ends_in_thread_mode(org, settings, monkeypatch):
    # given a previewed import
    client = client_for(org.east_rep)
    pk = client.post(
        "/api/v1/imports/", {"object_type": "account", "file": csv_file(ROWS)}, format="multipart"
    ).json()["id"]
    client.post(f"/api/v1/imports/{pk}/preview/")  # sync mode: done after the commit
    # and an apply that is held until the test lets it go
    settings.GUANXI_JOBS_MODE = "thread"
    started, release = threading.Event(), threading.Event()
    original = tasks.apply_import

    def held_apply(job, batch_id):
        started.set()
        assert release.wait(10)
        return original(job, batch_id)

    monkeypatch.setattr(tasks, "apply_import", held_apply)
    try:
        # when the apply is requested, then the answer comes while the job is still running
        response = client.post(f"/api/v1/imports/{pk}/apply/")
        assert response.status_code == 202
        assert started.wait(10)
        job_id = response.json()["id"]
        assert client.get(f"/api/v1/jobs/{job_id}/").json()["status"] == "running"
        assert Account.objects.count() == 0
    finally:
        release.set()
    # and the job then finishes on its own
    deadline = time.monotonic() + 20
    job = Job.objects.get(pk=job_id)
    while job.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
        job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)
    assert Account.objects.count() == 2
