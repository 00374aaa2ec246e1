"""The import wizard and export pages, as a browser sees them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core.models import Job
from guanxi.core.tests.factories import AccountFactory
from guanxi.customers.models import Account
from guanxi.dataio.models import Export, ImportBatch

from .conftest import USCC_A, USCC_B, csv_file

HEADER = ["客户名称", "电话", "统一社会信用代码"]
GOOD = [["上海星辰机械有限公司", "021-61234567", USCC_A], ["北京云杉科技有限公司", "", USCC_B]]
BAD = ["坏公司", "电话?", ""]


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def upload(client, rows, object_type="account"):
    return client.post(
        reverse("dataio:import-list"), {"object_type": object_type, "file": csv_file(rows)}
    )


def test_the_upload_page_offers_the_types_the_user_may_create(login, org):
    page = login(org.east_rep).get(reverse("dataio:import-list") + "?type=contact")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="account"' in html and 'value="contact"' in html
    assert 'value="contact" selected' in html


def test_a_read_only_user_is_told_they_cannot_import(login, org):
    page = login(org.read_only).get(reverse("dataio:import-list"))
    assert "cannot import" in page.content.decode()
    assert 'id="upload-form"' not in page.content.decode()


def test_an_unreadable_file_is_refused_next_to_the_file_field(login, org):
    client = login(org.east_rep)
    response = client.post(
        reverse("dataio:import-list"),
        {"object_type": "account", "file": csv_file([["a"]], name="old.xls")},
    )
    assert response.status_code == 200
    assert "save the sheet as .xlsx or .csv" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_the_wizard_from_upload_to_result(login, org, django_capture_on_commit_callbacks):
    client = login(org.east_rep)
    # upload: to the mapping step, with the suggestion selected
    response = upload(client, [HEADER, *GOOD])
    batch = ImportBatch.objects.get()
    assert response.url == reverse("dataio:import-detail", args=[batch.pk])
    page = client.get(response.url).content.decode()
    assert 'id="mapping-form"' in page
    assert '<option value="tax_number" selected>' in page
    # map: the rows are checked (a job) and the preview shows
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("dataio:import-mapping", args=[batch.pk]),
            {"col-0": "name", "col-1": "phone", "col-2": "tax_number"},
        )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert 'id="preview-clean"' in page
    assert 'id="apply-button"' in page
    # apply: the records exist and the result links to them
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dataio:import-apply", args=[batch.pk]))
    page = client.get(response.url).content.decode()
    assert 'id="import-done"' in page
    assert "2 records imported." in page
    account = Account.objects.get(tax_number=USCC_A)
    assert account.get_absolute_url() in page


def test_the_preview_highlights_the_bad_row_with_its_error_and_blocks_the_import(
    login, org, django_capture_on_commit_callbacks
):
    client = login(org.east_rep)
    upload(client, [HEADER, GOOD[0], BAD, GOOD[1]])
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("dataio:import-mapping", args=[batch.pk]),
            {"col-0": "name", "col-1": "phone", "col-2": "tax_number"},
        )
    page = client.get(reverse("dataio:import-detail", args=[batch.pk])).content.decode()
    assert 'id="row-3" class="table-danger"' in page
    assert 'data-error-field="phone"' in page
    assert "Enter a valid phone number." in page
    assert 'id="apply-button"' not in page


def test_a_mapping_without_a_name_column_shows_the_error(login, org):
    client = login(org.east_rep)
    upload(client, [HEADER, GOOD[0]])
    batch = ImportBatch.objects.get()
    response = client.post(reverse("dataio:import-mapping", args=[batch.pk]), {"col-1": "phone"})
    assert response.status_code == 400
    assert "it is required" in response.content.decode()


def test_duplicates_are_skipped_or_imported_as_chosen_on_the_page(
    login, org, django_capture_on_commit_callbacks
):
    AccountFactory(name="老客户", tax_number=USCC_A, owner=org.east_rep)
    client = login(org.east_rep)
    upload(client, [HEADER, *GOOD])
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("dataio:import-mapping", args=[batch.pk]),
            {"col-0": "name", "col-1": "phone", "col-2": "tax_number"},
        )
    page = client.get(reverse("dataio:import-detail", args=[batch.pk])).content.decode()
    assert 'id="row-2" class="table-warning"' in page
    assert "老客户" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataio:import-apply", args=[batch.pk]), {"decision-2": "import"})
    assert Account.objects.filter(tax_number=USCC_A).count() == 2


def test_while_a_job_runs_the_page_shows_a_polling_progress_bar(login, org):
    client = login(org.east_rep)
    upload(client, [HEADER, *GOOD])
    batch = ImportBatch.objects.get()
    # the preview is queued but (outside a commit) not run yet
    client.post(
        reverse("dataio:import-mapping", args=[batch.pk]),
        {"col-0": "name", "col-1": "phone", "col-2": "tax_number"},
    )
    page = client.get(reverse("dataio:import-detail", args=[batch.pk])).content.decode()
    batch.refresh_from_db()
    progress_url = reverse("job-progress", args=[batch.job_id])
    assert f'hx-get="{progress_url}?next=' in page
    assert 'hx-trigger="every 1s"' in page


def test_job_progress_redirects_htmx_to_next_once_done(
    login, org, django_capture_on_commit_callbacks
):
    client = login(org.east_rep)
    upload(client, [HEADER, *GOOD])
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("dataio:import-mapping", args=[batch.pk]),
            {"col-0": "name", "col-1": "phone", "col-2": "tax_number"},
        )
    batch.refresh_from_db()
    here = reverse("dataio:import-detail", args=[batch.pk])
    response = client.get(
        reverse("job-progress", args=[batch.job_id]), {"next": here}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == here
    assert 'aria-valuenow="100"' in response.content.decode()


def test_someone_elses_import_and_job_answer_404(login, org, client):
    upload(login(org.east_rep), [HEADER, *GOOD])
    batch = ImportBatch.objects.get()
    job = Job.objects.create(kind="x", task="x", created_by=org.east_rep)
    other = login(org.west_rep)
    assert other.get(reverse("dataio:import-detail", args=[batch.pk])).status_code == 404
    assert other.post(reverse("dataio:import-apply", args=[batch.pk])).status_code == 404
    assert other.get(reverse("job-progress", args=[job.pk])).status_code == 404


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------


def test_list_pages_show_export_only_with_the_export_right(login, org):
    manager_page = login(org.east_manager).get(reverse("customers:account-list")).content.decode()
    assert 'id="export-csv"' in manager_page
    assert 'id="import-button"' in manager_page
    rep_page = login(org.east_rep).get(reverse("customers:contact-list")).content.decode()
    assert 'id="export-csv"' not in rep_page
    assert 'id="import-button"' in rep_page


def test_the_export_link_carries_the_lists_filters(login, org):
    page = login(org.east_manager).get(reverse("customers:account-list") + "?city=上海&page=2")
    html = page.content.decode()
    assert reverse("dataio:export", args=["account", "csv"]) + "?city=" in html


def test_export_page_gives_the_filtered_visible_csv(login, org):
    AccountFactory(name="东区上海", city="上海", owner=org.east_rep)
    AccountFactory(name="东区北京", city="北京", owner=org.east_rep)
    AccountFactory(name="西区上海", city="上海", owner=org.west_rep)
    response = login(org.east_manager).get(
        reverse("dataio:export", args=["account", "csv"]), {"city": "上海"}
    )
    assert response.status_code == 200
    data = b"".join(response.streaming_content).decode("utf-8")
    assert data.startswith("\ufeff")
    assert "东区上海" in data and "东区北京" not in data and "西区上海" not in data


def test_export_page_without_the_right_is_403(login, org):
    response = login(org.east_rep).get(reverse("dataio:export", args=["account", "xlsx"]))
    assert response.status_code == 403
    assert Export.objects.count() == 0


def test_a_large_export_from_the_page_goes_to_its_progress_then_its_file(
    login, org, settings, django_capture_on_commit_callbacks
):
    settings.GUANXI_EXPORT_SYNC_ROWS = 1
    AccountFactory(name="A", owner=org.east_rep)
    AccountFactory(name="B", owner=org.east_rep)
    client = login(org.east_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("dataio:export", args=["account", "xlsx"]))
    export = Export.objects.get()
    assert response.url == reverse("dataio:export-detail", args=[export.pk])
    page = client.get(response.url).content.decode()
    assert 'id="download-link"' in page
    download = client.get(reverse("dataio:export-download", args=[export.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="accounts-')
    other = login(org.west_rep)
    assert other.get(reverse("dataio:export-download", args=[export.pk])).status_code == 404
