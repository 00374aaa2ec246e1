"""Deal lists through the one import and export pipeline (guanxi.dataio)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from guanxi.core.models import ChangeLogEntry, Job, Role, User
from guanxi.core.services import get_or_create_tags
from guanxi.dataio import services as dataio
from guanxi.dataio.models import ImportBatch
from guanxi.dataio.registry import get_type, type_choices
from guanxi.dataio.tests.conftest import USCC_B, csv_file, import_through_pipeline
from guanxi.sales.models import Opportunity, Pipeline, StageHistory, StageKind
from guanxi.sales.services import create_pipeline

from .helpers import make_account, make_opp, stage

pytestmark = pytest.mark.django_db

EXPORT_HEADER = [
    "ID",
    "Name",
    "Account",
    "Pipeline",
    "Stage",
    "Amount",
    "Currency",
    "Probability %",
    "Expected close",
    "Forecast category",
    "Products of interest",
    "Competitors",
    "Loss reason",
    "Description",
    "Tags",
    "Owner",
    "Team",
    "Closed",
    "Created",
    "Updated",
]


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GUANXI_JOBS_MODE = "sync"


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    """Upload, map as suggested, check and (unless told) apply a file; the batch at the end."""

    def run(actor, upload, *, apply=True):
        capture = django_capture_on_commit_callbacks
        return import_through_pipeline(capture, actor, "opportunity", upload, apply=apply)

    return run


@pytest.fixture
def accounts(org):
    return {
        "xingchen": make_account(org.east_rep, "上海星辰机械有限公司"),
        "yunshan": make_account(org.east_rep, "北京云杉科技有限公司", tax_number=USCC_B),
        "west": make_account(org.west_rep, "成都西部重工有限公司"),
    }


@pytest.fixture
def project_pipeline(org):
    """A second pipeline that has a stage called "Proposal" too."""
    return create_pipeline(
        org.admin,
        "项目型销售",
        [
            ("技术交流", 20, StageKind.OPEN),
            ("Proposal", 40, StageKind.OPEN),
            ("赢单", 100, StageKind.WON),
            ("输单", 0, StageKind.LOST),
        ],
    )


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def export_csv(actor, query: str = "") -> list[list[str]]:
    export = dataio.create_export(actor, "opportunity", "csv", QueryDict(query))
    return csv_rows(b"".join(dataio.export_chunks(actor, export)))


def with_export_right(user: User) -> User:
    role = Role.objects.create(
        code="deal-export", name="Deal export", permissions={"opportunity": ["export"]}
    )
    user.roles.add(role)
    return User.objects.get(pk=user.pk)  # without the cached roles


# --------------------------------------------------------------------------------------------
# the type and its pages
# --------------------------------------------------------------------------------------------


def test_opportunities_are_found_at_start_up_and_offered_by_the_import_wizard(client, org):
    # Nothing in this module imports guanxi.sales.dataio: the app registry found it.
    assert ("opportunity", "Opportunities") in type_choices()
    assert get_type("opportunities").required_fields() == ["name", "account"]
    client.force_login(org.east_rep)

    html = client.get(reverse("dataio:import-list")).content.decode()

    assert 'value="opportunity"' in html


def test_the_opportunity_list_offers_import_and_export(client, org):
    import_url = f"{reverse('dataio:import-list')}?type=opportunity"
    export_url = reverse("dataio:export", args=["opportunity", "csv"])
    client.force_login(org.east_manager)

    html = client.get(reverse("sales:opportunity-list")).content.decode()

    assert import_url in html
    assert export_url in html


def test_the_opportunity_list_offers_reps_import_but_not_export(client, org):
    client.force_login(org.east_rep)

    html = client.get(reverse("sales:opportunity-list")).content.decode()

    assert 'id="import-button"' in html
    assert 'id="export-menu"' not in html


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------


def test_a_chinese_file_imports_deals_onto_visible_accounts_in_their_stage_and_pipeline(
    org, accounts, project_pipeline, run_import
):
    header = [
        "商机名称",
        "客户名称",
        "销售漏斗",
        "阶段",
        "金额",
        "币种",
        "预计成交日期",
        "竞争对手",
        "标签",
    ]
    upload = csv_file(
        [
            header,
            # the built-in stage by its Chinese name, in the default pipeline
            [
                "数控机床改造",
                "上海星辰机械有限公司",
                "",
                "方案报价",
                "1,250,000.50",
                "CNY",
                "2026/9/30",
                "西门子",
                "重点, 华东",
            ],
            # the account by its credit code, the other pipeline's "Proposal"
            [
                "仓储自动化",
                USCC_B,
                "项目型销售",
                "Proposal",
                "380000",
                "USD",
                "2026年10月15日",
                "",
                "",
            ],
            # the built-in pipeline by its Chinese name
            ["产线升级", "上海星辰机械有限公司", "销售", "Negotiation", "90000", "", "", "", ""],
        ],
        name="商机.csv",
    )

    batch = run_import(org.east_rep, upload)

    assert batch.mapping == {
        "0": "name",
        "1": "account",
        "2": "pipeline",
        "3": "stage",
        "4": "amount",
        "5": "currency",
        "6": "expected_close_date",
        "7": "competitors",
        "8": "tags",
    }
    assert (batch.status, batch.created_count) == (ImportBatch.Status.APPLIED, 3)
    default = Pipeline.default()
    deals = {
        deal.name: deal
        for deal in Opportunity.objects.select_related("account", "pipeline", "stage")
    }
    machine, warehouse, line = deals["数控机床改造"], deals["仓储自动化"], deals["产线升级"]
    assert (machine.account, machine.pipeline, machine.stage) == (
        accounts["xingchen"],
        default,
        stage("Proposal"),
    )
    assert (machine.amount, machine.currency) == (Decimal("1250000.50"), "CNY")
    assert machine.expected_close_date == dt.date(2026, 9, 30)
    assert machine.competitors == "西门子"
    assert sorted(tag.name for tag in machine.tags.all()) == ["华东", "重点"]
    assert machine.probability == 50
    assert (warehouse.account, warehouse.pipeline) == (accounts["yunshan"], project_pipeline)
    assert warehouse.stage == stage("Proposal", project_pipeline)
    assert (warehouse.amount, warehouse.currency, warehouse.probability) == (
        Decimal("380000"),
        "USD",
        40,
    )
    assert warehouse.expected_close_date == dt.date(2026, 10, 15)
    assert (line.pipeline, line.stage, line.amount) == (
        default,
        stage("Negotiation"),
        Decimal("90000"),
    )
    assert (line.currency, line.probability, line.forecast_category) == ("CNY", 75, "commit")
    assert {deal.owner for deal in deals.values()} == {org.east_rep}
    assert {deal.team for deal in deals.values()} == {org.east}
    assert StageHistory.objects.filter(opportunity__in=deals.values()).count() == 3
    assert ChangeLogEntry.objects.filter(object_type="opportunity", action="create").count() == 3


def test_a_file_with_bad_rows_imports_nothing_and_names_each_bad_field(org, accounts, run_import):
    header = ["商机名称", "客户", "阶段", "金额"]
    upload = csv_file(
        [
            header,
            ["好商机", "上海星辰机械有限公司", "Proposal", "1000"],
            ["未知客户", "不存在的公司", "", "1000"],
            ["别人的客户", "成都西部重工有限公司", "", "1000"],  # the west rep's
            ["负金额", "上海星辰机械有限公司", "", "-5"],
            ["未知阶段", "上海星辰机械有限公司", "签约", "1000"],
        ]
    )

    checked = run_import(org.east_rep, upload, apply=False)

    assert checked.error_rows == 4
    errors = {row.row_number: row.errors for row in checked.rows.all()}
    assert errors[3] == {"account": ["No account you can see is called “不存在的公司”."]}
    # an account the rep cannot see is answered as one that does not exist
    assert errors[4] == {"account": ["No account you can see is called “成都西部重工有限公司”."]}
    assert list(errors[5]) == ["amount"]
    assert errors[6] == {"stage": ["The pipeline “Sales” has no stage called “签约”."]}
    assert 2 not in errors

    batch = run_import(org.east_rep, upload)

    assert batch.status == ImportBatch.Status.FAILED
    assert Opportunity.all_objects.count() == 0
    assert StageHistory.objects.count() == 0
    assert sorted(batch.rows.exclude(errors={}).values_list("row_number", flat=True)) == [
        3,
        4,
        5,
        6,
    ]
    assert batch.rows.get(row_number=5).errors.keys() == {"amount"}
    assert Job.objects.filter(kind="import.apply").get().status == Job.Status.FAILED


def test_a_stage_name_is_looked_up_within_the_rows_pipeline(
    org, accounts, project_pipeline, run_import
):
    header = ["商机名称", "客户", "销售漏斗", "阶段"]
    upload = csv_file(
        [
            header,
            ["甲", "上海星辰机械有限公司", "", "Proposal"],
            ["乙", "上海星辰机械有限公司", "项目型销售", "Proposal"],
            ["丙", "上海星辰机械有限公司", "项目型销售", "技术交流"],
        ]
    )

    run_import(org.east_rep, upload)

    deals = {deal.name: deal for deal in Opportunity.objects.select_related("stage")}
    assert deals["甲"].stage == stage("Proposal")
    assert deals["乙"].stage == stage("Proposal", project_pipeline)
    assert deals["乙"].stage != deals["甲"].stage
    assert deals["丙"].stage == stage("技术交流", project_pipeline)
    assert {deals["乙"].pipeline, deals["丙"].pipeline} == {project_pipeline}


def test_a_stage_of_another_pipeline_is_a_row_error(org, accounts, project_pipeline, run_import):
    upload = csv_file([["商机名称", "客户", "阶段"], ["丁", "上海星辰机械有限公司", "技术交流"]])

    batch = run_import(org.east_rep, upload)

    assert batch.status == ImportBatch.Status.FAILED
    assert batch.rows.get(row_number=2).errors == {
        "stage": ["The pipeline “Sales” has no stage called “技术交流”."]
    }
    assert not Opportunity.all_objects.exists()


def test_an_unknown_pipeline_is_a_row_error(org, accounts, run_import):
    upload = csv_file(
        [["商机名称", "客户", "销售漏斗"], ["戊", "上海星辰机械有限公司", "不存在的流程"]]
    )

    batch = run_import(org.east_rep, upload, apply=False)

    assert batch.rows.get(row_number=2).errors == {
        "pipeline": ["No pipeline you can see is called “不存在的流程”."]
    }


def test_a_pipeline_name_two_active_pipelines_share_is_a_row_error(org, accounts, run_import):
    for _copy in range(2):
        create_pipeline(
            org.admin,
            "重复",
            [("初步", 10, StageKind.OPEN), ("赢", 100, StageKind.WON), ("输", 0, StageKind.LOST)],
        )
    upload = csv_file([["商机名称", "客户", "销售漏斗"], ["己", "上海星辰机械有限公司", "重复"]])

    batch = run_import(org.east_rep, upload, apply=False)

    assert batch.rows.get(row_number=2).errors == {
        "pipeline": ["Several pipelines are called “重复”."]
    }


def test_deals_of_the_same_name_on_the_same_account_are_marked_as_duplicates(
    org, accounts, run_import
):
    existing = make_opp(org.east_rep, accounts["xingchen"], name="数控机床改造")
    header = ["商机名称", "客户", "金额"]
    upload = csv_file(
        [
            header,
            ["数控机床 改造", "上海星辰机械有限公司", "1000"],  # the existing deal
            ["数控机床改造", "北京云杉科技有限公司", "1000"],  # another account: not a duplicate
            ["仓储自动化", "北京云杉科技有限公司", "1000"],
            ["仓储自动化", "北京云杉科技有限公司", "2000"],  # the row above
        ]
    )

    checked = run_import(org.east_rep, upload, apply=False)

    assert (checked.error_rows, checked.duplicate_rows) == (0, 2)
    duplicates = {row.row_number: row.duplicates for row in checked.rows.all()}
    assert duplicates == {
        2: [{"object_id": existing.pk, "label": "数控机床改造", "reasons": ["near-same name"]}],
        5: [{"row": 4, "reasons": ["near-same name"]}],
    }

    batch = run_import(org.east_rep, upload)

    assert (batch.created_count, batch.skipped_count) == (2, 2)
    assert sorted(Opportunity.objects.values_list("name", "account__name")) == [
        ("仓储自动化", "北京云杉科技有限公司"),
        ("数控机床改造", "上海星辰机械有限公司"),
        ("数控机床改造", "北京云杉科技有限公司"),
    ]


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------


def test_export_as_a_rep_has_only_the_deals_the_rep_can_see(org, accounts):
    rep = with_export_right(org.east_rep)
    won = make_opp(org.east_rep, accounts["xingchen"], "2000", name="东区一")
    lost = make_opp(
        org.east_rep, accounts["yunshan"], "500", name="东区二", stage_name="Closed lost"
    )
    make_opp(org.east_rep2, make_account(org.east_rep2, "同事的客户"), name="同事的商机")
    make_opp(org.west_rep, accounts["west"], name="西区商机")

    header, *rows = export_csv(rep)

    assert header == EXPORT_HEADER
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert sorted(by_name) == ["东区一", "东区二"]
    first = by_name["东区一"]
    assert first["ID"] == str(won.pk)
    assert (first["Account"], first["Pipeline"], first["Stage"]) == (
        "上海星辰机械有限公司",
        "Sales",
        "Prospecting",
    )
    assert (first["Amount"], first["Currency"], first["Probability %"]) == (
        "2000.00",
        "CNY ¥",
        "10",
    )
    assert (first["Expected close"], first["Forecast category"]) == ("2026-12-01", "Pipeline")
    assert (first["Owner"], first["Team"], first["Closed"]) == (str(org.east_rep), "East", "")
    second = by_name["东区二"]
    assert (second["ID"], second["Stage"], second["Loss reason"]) == (
        str(lost.pk),
        "Closed lost",
        "price",
    )
    assert second["Forecast category"] == "Omitted"
    assert second["Closed"]  # a time, in the rep's time zone


def test_reps_without_the_export_right_cannot_export_deals(org):
    with pytest.raises(PermissionDenied):
        dataio.create_export(org.east_rep, "opportunity", "csv", QueryDict(""))


def test_the_export_makes_as_many_queries_for_many_deals_as_for_one(org, accounts):
    make_opp(
        org.east_rep, accounts["xingchen"], name="一", tags=get_or_create_tags(org.east_rep, ["甲"])
    )

    def export_queries() -> tuple[int, int]:
        director = User.objects.get(pk=org.director.pk)  # nothing cached on the user
        with CaptureQueriesContext(connection) as queries:
            rows = export_csv(director)
        return len(queries), len(rows) - 1

    export_queries()  # the cached access policies filled
    few = export_queries()
    for number, user in enumerate([org.east_rep, org.east_rep2, org.west_rep, org.east_manager]):
        tags = get_or_create_tags(user, [f"标签{number}", "乙"])
        account = make_account(user, f"客户{number}")
        make_opp(user, account, name=f"商机{number}", stage_name="Proposal", tags=tags)
    many = export_queries()

    assert (few[1], many[1]) == (1, 5)
    assert many[0] == few[0]


def test_an_exported_file_imports_again(
    org, accounts, project_pipeline, run_import, django_capture_on_commit_callbacks
):
    # round trip: the export's headers and cells (labels, names) are what the import reads
    make_opp(org.east_rep, accounts["xingchen"], "2000", name="东区一", stage_name="Negotiation")
    make_opp(
        org.east_rep,
        accounts["yunshan"],
        pipeline=project_pipeline,
        stage=stage("Proposal", project_pipeline),
        name="东区二",
        currency="USD",
    )
    export = dataio.create_export(org.director, "opportunity", "csv", QueryDict(""))
    data = b"".join(dataio.export_chunks(org.director, export))

    batch = run_import(org.director, SimpleUploadedFile("deals.csv", data), apply=False)

    assert set(batch.mapping.values()) == {
        "name",
        "account",
        "pipeline",
        "stage",
        "amount",
        "currency",
        "expected_close_date",
        "forecast_category",
        "products_of_interest",
        "competitors",
        "description",
        "tags",
        "owner",
    }
    assert (batch.error_rows, batch.duplicate_rows) == (0, 2)  # the deals they came from
    dataio.decide_duplicates(org.director, batch, {2: "import", 3: "import"})
    with django_capture_on_commit_callbacks(execute=True):
        dataio.start_apply(org.director, batch)

    copies = Opportunity.objects.filter(created_by=org.director).select_related("stage")
    assert sorted((d.name, str(d.stage), d.currency, d.owner_id) for d in copies) == [
        ("东区一", "Negotiation", "CNY", org.east_rep.pk),
        ("东区二", "Proposal", "USD", org.east_rep.pk),
    ]


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------


def test_deals_import_through_the_api(org, accounts, django_capture_on_commit_callbacks):
    client = APIClient()
    client.force_authenticate(org.east_rep)
    upload = csv_file(
        [
            ["商机名称", "客户名称", "阶段", "金额"],
            ["数控机床改造", "上海星辰机械有限公司", "Negotiation", "88000"],
            ["仓储自动化", "北京云杉科技有限公司", "", "12000"],
        ]
    )

    response = client.post(
        "/api/v1/imports/", {"object_type": "opportunity", "file": upload}, format="multipart"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["mapping"] == {"0": "name", "1": "account", "2": "stage", "3": "amount"}
    assert {"name": "stage", "label": "Stage", "required": False} in body["importable_fields"]
    pk = body["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/imports/{pk}/preview/").status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/imports/{pk}/apply/").status_code == 202
    body = client.get(f"/api/v1/imports/{pk}/").json()
    assert (body["status"], body["created_count"]) == ("applied", 2)
    deals = {deal.name: deal for deal in Opportunity.objects.select_related("stage")}
    assert deals["数控机床改造"].stage == stage("Negotiation")
    assert deals["数控机床改造"].amount == Decimal("88000")
    assert deals["仓储自动化"].stage == stage("Prospecting")  # the first open stage
    assert sorted(body["created_ids"]) == sorted(deal.pk for deal in deals.values())


def test_deals_export_through_the_api_with_the_list_filters(org, accounts):
    make_opp(org.east_rep, accounts["xingchen"], name="东区一", stage_name="Proposal")
    make_opp(org.east_rep, accounts["yunshan"], name="东区二")
    make_opp(org.west_rep, accounts["west"], name="西区商机", stage_name="Proposal")
    client = APIClient()
    client.force_authenticate(org.east_manager)

    response = client.get(
        f"/api/v1/exports/opportunities.csv?stage={stage('Proposal').pk}", HTTP_ACCEPT="*/*"
    )

    assert response.status_code == 200
    header, *rows = csv_rows(b"".join(response.streaming_content))
    assert header == EXPORT_HEADER
    assert [row[1] for row in rows] == ["东区一"]
