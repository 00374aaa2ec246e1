"""The import pipeline: upload, mapping, preview, duplicates, all-or-none apply."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from guanxi.core.models import ChangeLogEntry, Job
from guanxi.core.search import global_search
from guanxi.core.tests.factories import AccountFactory
from guanxi.customers.models import Account, ClassTransition, Contact
from guanxi.dataio import registry, services
from guanxi.dataio.mapping import suggest_mapping
from guanxi.dataio.models import ImportBatch
from guanxi.dataio.registry import get_type

from .conftest import USCC_A, USCC_B, USCC_C, USCC_D, csv_file, xlsx_file

HEADER = ["客户名称", "电话", "邮箱", "统一社会信用代码", "城市"]
GOOD_ROWS = [
    ["上海星辰机械有限公司", "021-61234567", "info@xingchen.cn", USCC_A, "上海"],
    ["北京云杉科技有限公司", "010-81234567", "hello@yunshan.cn", USCC_B, "北京"],
    ["深圳海岸贸易有限公司", "0755-8123456", "sales@haian.cn", USCC_C, "深圳"],
    ["杭州西溪软件有限公司", "0571-8123456", "contact@xixi.cn", USCC_D, "杭州"],
]


def with_bad_row_in_the_middle() -> list[list[str]]:
    bad = ["广州坏数据有限公司", "020-8123456", "not-an-email", "", "广州"]
    return [HEADER, GOOD_ROWS[0], GOOD_ROWS[1], bad, GOOD_ROWS[2], GOOD_ROWS[3]]


# --------------------------------------------------------------------------------------------
# reading files and suggesting the mapping
# --------------------------------------------------------------------------------------------


def test_mapping_is_suggested_from_chinese_headers():
    headers = ["客户名称", "电话", "邮箱", "统一社会信用代码", "城市", "负责人", "备注", "无关列"]
    mapping = suggest_mapping(get_type("account"), headers)
    assert mapping == {
        "0": "name",
        "1": "phone",
        "2": "email",
        "3": "tax_number",
        "4": "city",
        "5": "owner",
        "6": "description",
    }


def test_mapping_is_suggested_from_english_headers_and_noted_variants():
    headers = ["Company Name", "Tax ID", "Phone (office)", "E-mail *", "Province", "Rating"]
    mapping = suggest_mapping(get_type("account"), headers)
    assert mapping == {
        "0": "name",
        "1": "tax_number",
        "2": "phone",
        "3": "email",
        "4": "province",
        "5": "rating",
    }


def test_contact_headers_map_the_company_to_the_account_and_the_head_noun_decides():
    headers = ["姓名", "公司名称", "手机号码", "联系人邮箱", "职务"]
    mapping = suggest_mapping(get_type("contact"), headers)
    assert mapping == {"0": "name", "1": "account", "2": "mobile", "3": "email", "4": "title"}


def test_gbk_csv_from_excel_is_decoded(org):
    # given a CSV as Excel in China saves it: GBK, no BOM
    upload = csv_file([HEADER, GOOD_ROWS[0]], encoding="gbk")
    # when it is uploaded
    batch = services.upload_import(org.east_rep, "account", upload)
    # then its Chinese headers and cells are read right
    assert batch.encoding == "gb18030"
    assert batch.headers == HEADER
    assert batch.sample_rows == [GOOD_ROWS[0]]
    assert batch.mapping["0"] == "name"


def test_utf8_csv_with_bom_has_no_bom_in_its_first_header(org):
    batch = services.upload_import(
        org.east_rep, "account", csv_file([HEADER, GOOD_ROWS[0]], encoding="utf-8-sig")
    )
    assert batch.encoding == "utf-8-sig"
    assert batch.headers[0] == "客户名称"


def test_xlsx_numbers_are_read_as_people_typed_them(org):
    # given Excel stored a mobile number as a number
    upload = xlsx_file([["姓名", "手机"], ["张三", 13800138000]])
    batch = services.upload_import(org.east_rep, "contact", upload)
    assert batch.file_format == "xlsx"
    assert batch.sample_rows == [["张三", "13800138000"]]


def test_an_old_xls_file_is_refused_with_a_hint(org):
    upload = csv_file([["a"]], name="old.xls")
    with pytest.raises(ValidationError) as info:
        services.upload_import(org.east_rep, "account", upload)
    assert "xlsx" in str(info.value.message_dict["file"])


def test_a_file_over_the_row_limit_is_refused(org, settings):
    settings.GUANXI_IMPORT_MAX_ROWS = 3
    with pytest.raises(ValidationError) as info:
        services.upload_import(org.east_rep, "account", csv_file([HEADER, *GOOD_ROWS]))
    assert "file" in info.value.message_dict
    assert ImportBatch.objects.count() == 0


def test_uploading_needs_the_create_right(org):
    with pytest.raises(PermissionDenied):
        services.upload_import(org.read_only, "account", csv_file([HEADER, GOOD_ROWS[0]]))


def test_a_mapping_without_the_required_name_is_refused(org):
    batch = services.upload_import(org.east_rep, "account", csv_file([HEADER, GOOD_ROWS[0]]))
    with pytest.raises(ValidationError) as info:
        services.set_mapping(org.east_rep, batch, {"1": "phone"})
    assert "mapping" in info.value.message_dict


def test_a_field_mapped_twice_is_refused(org):
    batch = services.upload_import(org.east_rep, "account", csv_file([HEADER, GOOD_ROWS[0]]))
    with pytest.raises(ValidationError):
        services.set_mapping(org.east_rep, batch, {"0": "name", "1": "phone", "2": "phone"})


def test_someone_elses_import_is_not_found(org):
    from django.http import Http404

    batch = services.upload_import(org.east_rep, "account", csv_file([HEADER, GOOD_ROWS[0]]))
    with pytest.raises(Http404):
        services.get_import(org.west_rep, batch.pk)


# --------------------------------------------------------------------------------------------
# all or none
# --------------------------------------------------------------------------------------------


@pytest.fixture(params=["bulk", "per_row"])
def write_mode(request, monkeypatch):
    """Both ways an import writes: the type's bulk service, or its create service per row."""
    if request.param == "per_row":
        for key in ("account", "contact"):
            monkeypatch.setitem(
                registry._registry, key, dataclasses.replace(get_type(key), create_bulk=None)
            )
    return request.param


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_a_bad_row_in_the_middle_leaves_the_database_unchanged_and_is_reported(
    org, run_import, make_file, write_mode
):
    # given a file whose third data row (spreadsheet row 4) has a bad email
    accounts_before = Account.all_objects.count()
    log_before = ChangeLogEntry.objects.count()
    # when it is previewed and applied
    batch = run_import(org.east_rep, "account", make_file(with_bad_row_in_the_middle()))
    # then nothing was written
    assert Account.all_objects.count() == accounts_before
    assert ChangeLogEntry.objects.count() == log_before
    # and the row is reported with its field and the model's message
    assert batch.status == ImportBatch.Status.FAILED
    job = Job.objects.get(pk=batch.job_id)
    assert job.status == Job.Status.FAILED
    assert job.result["rows"] == [{"row": 4, "errors": {"email": ["Enter a valid email address."]}}]
    flagged = list(batch.rows.values_list("row_number", "errors"))
    assert flagged == [(4, {"email": ["Enter a valid email address."]})]


def test_the_preview_marks_each_bad_row_with_field_and_message(org, run_import):
    rows = [
        HEADER + ["评级"],
        GOOD_ROWS[0] + ["5"],
        ["", "021-1", "x@y.cn", "", "上海", "9"],
        ["某公司", "phone?", "ok@ok.cn", "91310000MA1FL0000X", "上海", "3"],
    ]
    batch = run_import(org.east_rep, "account", csv_file(rows), apply=False)
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert batch.error_rows == 2
    errors = dict(batch.rows.values_list("row_number", "errors"))
    assert set(errors[3]) == {"name", "phone", "rating"}
    assert set(errors[4]) == {"phone", "tax_number"}
    assert errors[4]["tax_number"] == [
        "This unified social credit code has a wrong check character."
    ]


def test_a_clean_file_is_imported_owned_by_the_importer_and_logged(org, run_import, write_mode):
    # given a clean file
    batch = run_import(org.east_rep, "account", csv_file([HEADER, *GOOD_ROWS]))
    # then every row became an account owned by the importing user, in their team
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.created_count == 4
    accounts = Account.objects.filter(pk__in=batch.created_ids)
    assert sorted(a.name for a in accounts) == sorted(r[0] for r in GOOD_ROWS)
    assert {(a.owner, a.team) for a in accounts} == {(org.east_rep, org.east)}
    first = accounts.get(tax_number=USCC_A)
    assert (first.phone, first.email, first.city) == ("021-61234567", "info@xingchen.cn", "上海")
    assert first.name_pinyin == "shanghaixingchenjixieyouxiangongsi"
    # and each creation is in the change log with the request id of the job
    job = Job.objects.get(pk=batch.job_id)
    entries = ChangeLogEntry.objects.filter(object_type="account", action="create")
    assert entries.count() == 4
    assert {e.request_id for e in entries} == {job.request_id}
    # and each starts its customer flow and is found by the global search
    assert ClassTransition.objects.filter(account__in=accounts, from_class="").count() == 4
    assert [hit.title for hit in global_search(org.east_rep, "shxcjx", types=["account"])] == [
        GOOD_ROWS[0][0]
    ]
    # and the uploaded file is not kept
    assert not batch.file


def test_the_import_job_progress_reaches_100_and_status_done(org, run_import):
    batch = run_import(org.east_rep, "account", csv_file([HEADER, *GOOD_ROWS]))
    job = Job.objects.get(pk=batch.job_id)
    assert (job.kind, job.status, job.progress) == ("import.apply", "done", 100)
    assert job.result["created"] == 4
    assert job.message == "4 records imported."


def test_choices_accept_codes_and_labels_and_refuse_the_rest(org, run_import):
    rows = [
        ["名称", "类型", "行业"],
        ["甲公司", "person", "Information technology"],
        ["乙公司", "Household", "IT"],
        ["丙公司", "alien", ""],
    ]
    batch = run_import(org.east_rep, "account", csv_file(rows), apply=False)
    errors = dict(batch.rows.values_list("row_number", "errors"))
    assert list(errors) == [4]
    assert errors[4] == {"kind": ["Value 'alien' is not a valid choice."]}


def test_an_owner_column_assigns_within_the_managers_teams_only(org, run_import):
    rows = [["名称", "负责人"], ["甲公司", "eastrep"], ["乙公司", "westrep"]]
    # the east manager may give records to east reps, not to west reps
    batch = run_import(org.east_manager, "account", csv_file(rows), apply=False)
    errors = dict(batch.rows.values_list("row_number", "errors"))
    assert list(errors) == [3]
    assert list(errors[3]) == ["owner"]


def test_an_owner_column_sets_the_owner_when_allowed(org, run_import, write_mode):
    rows = [["名称", "负责人"], ["甲公司", "eastrep"]]
    batch = run_import(org.east_manager, "account", csv_file(rows))
    account = Account.objects.get(pk=batch.created_ids[0])
    assert (account.owner, account.team, account.created_by) == (
        org.east_rep,
        org.east,
        org.east_manager,
    )


def test_tags_are_created_on_apply(org, run_import, write_mode):
    rows = [["名称", "标签"], ["甲公司", "VIP，华东"]]
    batch = run_import(org.east_rep, "account", csv_file(rows))
    account = Account.objects.get(pk=batch.created_ids[0])
    assert sorted(t.name for t in account.tags.all()) == ["VIP", "华东"]


# --------------------------------------------------------------------------------------------
# duplicates
# --------------------------------------------------------------------------------------------


def test_duplicates_within_the_file_are_marked_and_skipped_by_default(
    org, run_import, apply_import
):
    # given rows 2 and 4 share a tax number, and row 5 is row 3 with another legal form
    rows = [
        HEADER,
        GOOD_ROWS[0],
        GOOD_ROWS[1],
        ["上海星辰机械股份有限公司", "", "", USCC_A, "上海"],
        ["北京云杉科技", "", "", "", "北京"],
    ]
    batch = run_import(org.east_rep, "account", csv_file(rows), apply=False)
    duplicates = dict(batch.rows.values_list("row_number", "duplicates"))
    assert list(duplicates) == [4, 5]
    assert duplicates[4][0]["row"] == 2
    assert "same unified social credit code" in duplicates[4][0]["reasons"]
    assert duplicates[5] == [{"row": 3, "reasons": ["near-same name"]}]
    # when applied without a decision, then the later copies are skipped
    batch = apply_import(org.east_rep, batch)
    assert (batch.created_count, batch.skipped_count) == (2, 2)
    assert sorted(Account.objects.values_list("name", flat=True)) == sorted(
        [GOOD_ROWS[0][0], GOOD_ROWS[1][0]]
    )


def test_duplicates_of_existing_visible_records_are_marked(org, run_import):
    # given accounts the importer can see: one with the same phone, one with the same name core
    AccountFactory(name="某某公司", phone="021-61234567", owner=org.east_rep)
    AccountFactory(name="北京云杉科技集团", owner=org.east_rep2)  # same team: the manager sees it
    batch = run_import(org.east_manager, "account", csv_file([HEADER, *GOOD_ROWS]), apply=False)
    duplicates = dict(batch.rows.values_list("row_number", "duplicates"))
    assert set(duplicates) == {2, 3}
    assert duplicates[2][0]["label"] == "某某公司"
    assert duplicates[2][0]["reasons"] == ["same phone"]
    assert duplicates[3][0]["label"] == "北京云杉科技集团"


def test_records_the_importer_cannot_see_are_not_reported_as_duplicates(org, run_import):
    AccountFactory(name="上海星辰机械有限公司", tax_number=USCC_A, owner=org.west_rep)
    batch = run_import(org.east_rep, "account", csv_file([HEADER, GOOD_ROWS[0]]), apply=False)
    assert batch.duplicate_rows == 0


def test_a_duplicate_marked_import_anyway_is_imported(org, run_import):
    existing = AccountFactory(name="X", tax_number=USCC_A, owner=org.east_rep)
    batch = run_import(
        org.east_rep,
        "account",
        csv_file([HEADER, GOOD_ROWS[0], GOOD_ROWS[1]]),
        decisions={2: "import"},
    )
    assert (batch.created_count, batch.skipped_count) == (2, 0)
    assert Account.objects.filter(tax_number=USCC_A).exclude(pk=existing.pk).exists()


def test_only_duplicate_rows_take_a_decision(org, run_import):
    batch = run_import(org.east_rep, "account", csv_file([HEADER, GOOD_ROWS[0]]), apply=False)
    with pytest.raises(ValidationError):
        services.decide_duplicates(org.east_rep, batch, {2: "import"})


# --------------------------------------------------------------------------------------------
# contacts
# --------------------------------------------------------------------------------------------


def test_contacts_are_attached_to_visible_accounts_by_name_or_tax_number(org, run_import):
    by_name = AccountFactory(name="上海星辰机械有限公司", owner=org.east_rep)
    by_code = AccountFactory(name="北京云杉科技有限公司", tax_number=USCC_B, owner=org.east_rep)
    AccountFactory(name="西区公司", owner=org.west_rep)  # not visible to the east rep
    rows = [
        ["姓名", "公司名称", "手机号码", "邮箱", "生日"],
        ["张三", "上海星辰机械有限公司", "13800138000", "zs@xc.cn", "1985/3/7"],
        ["李四", USCC_B, "+86 139 0013 9000", "", "1990年12月1日"],
        ["王五", "西区公司", "13700137000", "", ""],
    ]
    batch = run_import(org.east_rep, "contact", csv_file(rows), apply=False)
    errors = dict(batch.rows.values_list("row_number", "errors"))
    assert errors == {4: {"account": ["No account you can see is called “西区公司”."]}}
    # when the bad row is fixed by leaving it out, the rest imports
    rows.pop()
    batch = run_import(org.east_rep, "contact", csv_file(rows))
    contacts = {c.name: c for c in Contact.objects.filter(pk__in=batch.created_ids)}
    assert contacts["张三"].account == by_name
    assert contacts["李四"].account == by_code
    assert contacts["李四"].mobile == "13900139000"
    assert str(contacts["张三"].birthday) == "1985-03-07"
    assert str(contacts["李四"].birthday) == "1990-12-01"


def test_contact_duplicates_by_mobile_in_file_and_by_name_at_the_same_account(org, run_import):
    account = AccountFactory(name="甲公司", owner=org.east_rep)
    from guanxi.core.tests.factories import ContactFactory

    ContactFactory(name="张三", account=account, owner=org.east_rep)
    rows = [
        ["姓名", "公司", "手机"],
        ["张三", "甲公司", ""],
        ["李四", "", "13800138000"],
        ["李四（重复）", "", "13800138000"],
    ]
    batch = run_import(org.east_rep, "contact", csv_file(rows), apply=False)
    duplicates = dict(batch.rows.values_list("row_number", "duplicates"))
    assert duplicates[2][0]["label"] == "张三"
    assert duplicates[4] == [{"row": 3, "reasons": ["same mobile"]}]


def test_choices_accept_their_chinese_labels(org, run_import):
    rows = [["名称", "客户关系", "利润贡献"], ["甲公司", "忠诚客户", "VIP"]]
    batch = run_import(org.east_rep, "account", csv_file(rows))
    account = Account.objects.get(pk=batch.created_ids[0])
    assert (account.relationship_class, account.profit_contribution) == ("loyal", "vip")


def test_old_import_and_export_files_are_purged_but_their_entries_stay(org, settings):
    import datetime as dt
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from guanxi.dataio.models import Export

    batch = services.upload_import(org.east_rep, "account", csv_file([HEADER, GOOD_ROWS[0]]))
    fresh = services.upload_import(org.east_rep, "account", csv_file([HEADER, GOOD_ROWS[0]]))
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    call_command("purge_data_files", stdout=io.StringIO())
    batch.refresh_from_db()
    fresh.refresh_from_db()
    assert not batch.file and fresh.file
    assert ImportBatch.objects.count() == 2
    assert services.purge_old_files(days=0) == 1
    assert Export.objects.count() == 0
