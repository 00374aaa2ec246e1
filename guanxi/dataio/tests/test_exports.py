"""Exports: the filtered list, only what the user may see, only with the export right."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict

from guanxi.core import events
from guanxi.core.models import Job
from guanxi.core.tests.factories import AccountFactory, ContactFactory
from guanxi.dataio import services
from guanxi.dataio.models import Export


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def accounts(org):
    return {
        "east_sh": AccountFactory(name="东区上海", city="上海", owner=org.east_rep),
        "east_bj": AccountFactory(name="东区北京", city="北京", owner=org.east_rep2),
        "west_sh": AccountFactory(name="西区上海", city="上海", owner=org.west_rep),
    }


def export_csv(actor, query: str = "", object_type: str = "account") -> tuple[Export, bytes]:
    export = services.create_export(actor, object_type, "csv", QueryDict(query))
    return export, b"".join(services.export_chunks(actor, export))


def test_export_contains_only_records_the_user_may_see(org, accounts):
    # the east manager sees the east team's accounts, not the west's
    _export, data = export_csv(org.east_manager)
    names = sorted(row[1] for row in csv_rows(data)[1:])
    assert names == sorted(["东区北京", "东区上海"])


def test_export_applies_the_list_filters(org, accounts):
    export, data = export_csv(org.director, "city=上海&page=3")
    assert sorted(row[1] for row in csv_rows(data)[1:]) == sorted(["东区上海", "西区上海"])
    assert export.query == "city=%E4%B8%8A%E6%B5%B7"
    assert export.row_count == 2


def test_export_csv_starts_with_a_bom_and_has_translated_headers(org, accounts):
    _export, data = export_csv(org.east_manager, "city=上海")
    assert data.startswith(b"\xef\xbb\xbf")
    header, *rows = csv_rows(data)
    assert header[:3] == ["ID", "Name", "Kind"]
    assert rows[0][header.index("Kind")] == "Company"
    assert rows[0][header.index("Owner")] == str(org.east_rep)


def test_export_needs_the_export_right(org, accounts):
    # a sales rep may create and edit but not export
    with pytest.raises(PermissionDenied):
        services.create_export(org.east_rep, "account", "csv", QueryDict(""))
    assert Export.objects.count() == 0


def test_a_bad_filter_value_is_a_validation_error(org):
    with pytest.raises(ValidationError) as info:
        services.create_export(org.director, "account", "csv", QueryDict("rating=lots"))
    assert "rating" in info.value.message_dict


def test_export_is_audited_with_its_filter_and_row_count(
    org, accounts, django_capture_on_commit_callbacks
):
    seen = []
    events.subscribe("export.created", seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            export = services.create_export(org.director, "account", "xlsx", QueryDict("city=上海"))
    finally:
        events.unsubscribe("export.created", seen.append)
    assert (export.created_by, export.row_count, export.file_format) == (org.director, 2, "xlsx")
    assert [(e.name, e.actor_id, e.payload["rows"]) for e in seen] == [
        ("export.created", org.director.pk, 2)
    ]


def test_xlsx_export_has_the_rows_and_keeps_text_as_text(org):
    from openpyxl import load_workbook

    AccountFactory(name='=HYPERLINK("x")', phone="0571-88888888", owner=org.east_rep)
    export = services.create_export(org.director, "account", "xlsx", QueryDict(""))
    sheet = load_workbook(io.BytesIO(services.export_xlsx_bytes(org.director, export))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("ID", "Name")
    assert rows[1][1] == '=HYPERLINK("x")'
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert "0571-88888888" in rows[1]


def test_csv_export_defuses_formulas_but_keeps_phone_numbers(org):
    AccountFactory(name="=1+1", phone="+86 21 6123 4567", owner=org.east_rep)
    _export, data = export_csv(org.director)
    row = csv_rows(data)[1]
    assert row[1] == "'=1+1"
    assert "+86 21 6123 4567" in row


def test_contacts_export_names_their_account(org):
    account = AccountFactory(name="甲公司", owner=org.east_rep)
    ContactFactory(name="张三", account=account, owner=org.east_rep, mobile="13800138000")
    _export, data = export_csv(org.director, object_type="contacts")
    header, row = csv_rows(data)
    assert row[header.index("Account")] == "甲公司"
    assert row[header.index("Mobile")] == "13800138000"


def test_a_large_export_runs_as_a_job_and_keeps_the_file(
    org, accounts, settings, django_capture_on_commit_callbacks
):
    settings.GUANXI_EXPORT_SYNC_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        export = services.create_export(org.director, "account", "csv", QueryDict(""))
    export.refresh_from_db()
    job = Job.objects.get(pk=export.job_id)
    assert (job.kind, job.status, job.progress, job.result["rows"]) == ("export", "done", 100, 3)
    with export.file.open("rb") as handle:
        rows = csv_rows(handle.read())
    assert len(rows) == 4


def test_an_exported_file_imports_again(org, run_import):
    # round trip: the headers of an export are recognised by the import's mapping
    AccountFactory(name="甲公司", city="上海", phone="021-61234567", owner=org.east_manager)
    _export, data = export_csv(org.east_manager)
    from django.core.files.uploadedfile import SimpleUploadedFile

    batch = run_import(
        org.east_manager, "account", SimpleUploadedFile("export.csv", data), apply=False
    )
    mapped = set(batch.mapping.values())
    assert {"name", "kind", "city", "phone", "owner", "tags", "parent"} <= mapped
    assert batch.error_rows == 0
    assert batch.duplicate_rows == 1  # the account it came from


def test_an_export_in_chinese_has_chinese_headers_and_imports_again(org, run_import):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org.east_manager.language = "zh-hans"
    org.east_manager.save()
    AccountFactory(name="甲公司", city="上海", relationship_class="loyal", owner=org.east_manager)
    _export, data = export_csv(org.east_manager)
    header, row = csv_rows(data)
    assert "统一社会信用代码" in header
    assert "忠诚客户" in row
    batch = run_import(
        org.east_manager, "account", SimpleUploadedFile("导出.csv", data), apply=False
    )
    assert {"name", "relationship_class", "tax_number", "city", "owner"} <= set(
        batch.mapping.values()
    )
    assert batch.error_rows == 0
