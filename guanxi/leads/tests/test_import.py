"""Trade-show lists and business-card exports through the one import pipeline."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from guanxi.core.models import ChangeLogEntry, Job
from guanxi.dataio.models import ImportBatch
from guanxi.dataio.tests.conftest import csv_file, import_through_pipeline
from guanxi.leads import services
from guanxi.leads.models import AssignmentRule, Lead, LeadScoringRule
from guanxi.marketing.services import create_campaign

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "公司", "职务", "手机", "邮箱", "展会", "意向产品"]


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GUANXI_JOBS_MODE = "sync"


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    """Upload, map as suggested, check and (unless told) apply a file; the batch at the end."""

    def run(actor, object_type, upload, *, apply=True):
        capture = django_capture_on_commit_callbacks
        return import_through_pipeline(capture, actor, object_type, upload, apply=apply)

    return run


def rows(n, start=0):
    return [
        [
            f"客户{i}",
            f"公司{i}",
            "经理",
            f"1390000{i:04d}",
            f"c{i}@example.cn",
            "2026 春季展会",
            "数控机床",
        ]
        for i in range(start, start + n)
    ]


def test_the_import_wizard_offers_leads(client, org):
    client.force_login(org.east_manager)

    html = client.get(reverse("dataio:import-list")).content.decode()

    assert 'value="lead"' in html


def test_imported_leads_are_scored_and_assigned_in_one_batch(org, run_import):
    create_campaign(org.admin, {"name": "2026 春季展会"})
    AssignmentRule.objects.create(name="East", team=org.east)
    LeadScoringRule.objects.create(
        name="Machine tools", field="product_interest", operator="contains", value="机床", points=8
    )

    batch = run_import(org.east_manager, "lead", csv_file([HEADER, *rows(10)], name="expo.csv"))

    assert batch.status == ImportBatch.Status.APPLIED
    leads = list(Lead.objects.select_related("campaign"))
    assert len(leads) == 10
    assert {lead.campaign.name for lead in leads} == {"2026 春季展会"}
    assert {lead.score for lead in leads} == {8}
    counts = Counter(lead.owner_id for lead in leads)
    assert counts == {org.east_rep.pk: 5, org.east_rep2.pk: 5}
    assert all(lead.assigned_at is not None for lead in leads)
    assert ChangeLogEntry.objects.filter(object_type="lead", action="create").count() == 10


def test_a_row_with_an_owner_keeps_that_owner(org, run_import):
    AssignmentRule.objects.create(name="East", team=org.east)
    header = ["姓名", "手机", "负责人"]

    run_import(
        org.east_manager,
        "lead",
        csv_file([header, ["甲", "13900000001", "eastrep2"], ["乙", "13900000002", ""]]),
    )

    assert Lead.objects.get(person_name="甲").owner == org.east_rep2
    assert Lead.objects.get(person_name="乙").owner == org.east_rep  # by the rules


def test_a_bad_row_applies_nothing(org, run_import):
    bad = ["坏数据", "某公司", "经理", "12345", "not-an-email", "", ""]
    upload = csv_file([HEADER[:5], *[r[:5] for r in rows(3)], bad[:5]])

    batch = run_import(org.east_manager, "lead", upload)

    assert batch.status == ImportBatch.Status.FAILED
    assert Lead.all_objects.count() == 0
    flagged = batch.rows.get(row_number=5)
    assert set(flagged.errors) == {"mobile", "email"}
    assert Job.objects.filter(kind="import.apply").get().status == Job.Status.FAILED


def test_duplicates_are_marked_by_email_mobile_and_phone(org, run_import):
    services.create_lead(
        org.east_manager,
        {"person_name": "Old", "email": "c0@example.cn", "phone": "021-61234567"},
        assign=False,
    )
    services.create_lead(
        org.east_manager, {"person_name": "Old 2", "mobile": "13900000001"}, assign=False
    )
    header = ["姓名", "手机", "邮箱", "电话"]
    upload = csv_file(
        [
            header,
            ["A", "", "c0@example.cn", ""],
            ["B", "13900000001", "", ""],
            ["C", "", "", "(021) 6123-4567"],
            ["D", "13900000009", "d@example.cn", ""],
        ]
    )

    batch = run_import(org.east_manager, "lead", upload, apply=False)

    assert batch.duplicate_rows == 3
    assert sorted(batch.rows.values_list("row_number", flat=True)) == [2, 3, 4]
    applied = run_import(org.east_manager, "lead", csv_file([header, ["E", "", "", ""]]))
    assert applied.status == ImportBatch.Status.APPLIED


def test_reps_without_create_right_cannot_import_leads(org, run_import):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_import(org.service, "lead", csv_file([HEADER, *rows(1)]))
