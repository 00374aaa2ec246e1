"""Pipeline settings pages (administrators): stages with order, probability and kind."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.sales.models import Pipeline, Stage

from .helpers import make_opp

pytestmark = pytest.mark.django_db


def stage_rows(rows):
    """The stage formset's POST: rows of (id, name, probability, kind, delete)."""
    data = {"stages-TOTAL_FORMS": len(rows), "stages-INITIAL_FORMS": 0}
    for i, (pk, name, probability, kind, delete) in enumerate(rows):
        data.update(
            {
                f"stages-{i}-id": pk or "",
                f"stages-{i}-name": name,
                f"stages-{i}-probability": probability,
                f"stages-{i}-kind": kind,
                f"stages-{i}-ORDER": i + 1,
            }
        )
        if delete:
            data[f"stages-{i}-DELETE"] = "on"
    return data


def test_admin_creates_a_pipeline_with_stages(client, org):
    client.force_login(org.admin)

    page = client.get(reverse("sales:pipeline-create"))
    response = client.post(
        reverse("sales:pipeline-create"),
        {
            "name": "Renewals",
            "is_active": "on",
            **stage_rows(
                [
                    (None, "Due", 50, "open", False),
                    (None, "Renewed", 100, "won", False),
                    (None, "Churned", 0, "lost", False),
                ]
            ),
        },
    )

    assert page.status_code == 200 and "Prospecting" in page.text  # the default stages
    assert response.status_code == 302
    pipeline = Pipeline.objects.get(name="Renewals")
    assert list(pipeline.stages.values_list("name", "order", "probability", "kind")) == [
        ("Due", 0, 50, "open"),
        ("Renewed", 1, 100, "won"),
        ("Churned", 2, 0, "lost"),
    ]


def test_a_pipeline_needs_a_won_and_a_lost_stage(client, org):
    client.force_login(org.admin)

    response = client.post(
        reverse("sales:pipeline-create"),
        {"name": "Broken", "is_active": "on", **stage_rows([(None, "Only", 10, "open", False)])},
    )

    assert response.status_code == 200
    assert "A pipeline needs a won and a lost stage." in response.text
    assert not Pipeline.objects.filter(name="Broken").exists()


def edit_rows(pipeline, changes=None, delete=()):
    rows = []
    for s in pipeline.stages.order_by("order"):
        name, probability = (changes or {}).get(s.name, (s.name, s.probability))
        rows.append((s.pk, name, probability, s.kind, s.name in delete))
    return rows


def test_admin_renames_a_stage_and_changes_its_probability(client, org):
    pipeline = Pipeline.default()
    client.force_login(org.admin)

    response = client.post(
        reverse("sales:pipeline-edit", args=[pipeline.pk]),
        {
            "name": "Sales",
            "is_default": "on",
            "is_active": "on",
            "version": pipeline.version,
            **stage_rows(edit_rows(pipeline, {"Proposal": ("Quotation", 40)})),
        },
    )

    assert response.status_code == 302
    assert Stage.objects.get(pipeline=pipeline, name="Quotation").probability == 40


def test_a_stage_in_use_cannot_be_deleted(client, org):
    make_opp(org.east_rep, stage_name="Proposal")
    pipeline = Pipeline.default()
    client.force_login(org.admin)

    page = client.get(reverse("sales:pipeline-edit", args=[pipeline.pk])).text
    response = client.post(
        reverse("sales:pipeline-edit", args=[pipeline.pk]),
        {
            "name": "Sales",
            "is_default": "on",
            "is_active": "on",
            "version": pipeline.version,
            **stage_rows(edit_rows(pipeline, delete={"Proposal"})),
        },
    )

    assert "In use" in page
    assert response.status_code == 200
    assert "is in use by opportunities and cannot be deleted" in response.text
    assert Stage.objects.filter(pipeline=pipeline, name="Proposal").exists()


def test_an_unused_stage_can_be_deleted(client, org):
    pipeline = Pipeline.default()
    client.force_login(org.admin)

    client.post(
        reverse("sales:pipeline-edit", args=[pipeline.pk]),
        {
            "name": "Sales",
            "is_default": "on",
            "is_active": "on",
            "version": pipeline.version,
            **stage_rows(edit_rows(pipeline, delete={"Approach and needs"})),
        },
    )

    assert not Stage.objects.filter(pipeline=pipeline, name="Approach and needs").exists()
    assert list(pipeline.stages.values_list("order", flat=True)) == [0, 1, 2, 3, 4]


def test_editing_an_old_version_of_a_pipeline_saves_nothing(client, org):
    pipeline = Pipeline.default()
    client.force_login(org.admin)

    response = client.post(
        reverse("sales:pipeline-edit", args=[pipeline.pk]),
        {
            "name": "Renamed",
            "is_default": "on",
            "is_active": "on",
            "version": pipeline.version + 5,
            **stage_rows(edit_rows(pipeline)),
        },
    )

    assert response.status_code == 409
    assert "Someone else saved this pipeline" in response.text
    assert Pipeline.objects.get(pk=pipeline.pk).name == "Sales"


def test_a_used_pipeline_cannot_be_deleted_an_unused_one_can(client, org):
    from guanxi.sales.services import create_pipeline

    spare = create_pipeline(org.admin, "Spare")
    make_opp(org.east_rep)
    client.force_login(org.admin)

    client.post(reverse("sales:pipeline-delete", args=[Pipeline.default().pk]))
    client.post(reverse("sales:pipeline-delete", args=[spare.pk]))

    assert Pipeline.objects.filter(name="Sales").exists()
    assert not Pipeline.objects.filter(name="Spare").exists()


def test_pipeline_list_shows_the_stages(client, org):
    client.force_login(org.admin)

    html = client.get(reverse("sales:pipeline-list")).text

    assert 'data-pipeline="Sales"' in html and "Negotiation · 75 %" in html


@pytest.mark.parametrize("role", ["director", "east_rep", "read_only"])
def test_only_administrators_configure_pipelines(client, org, role):
    pipeline = Pipeline.default()
    client.force_login(getattr(org, role))

    for url in (
        reverse("sales:pipeline-list"),
        reverse("sales:pipeline-create"),
        reverse("sales:pipeline-edit", args=[pipeline.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("sales:pipeline-delete", args=[pipeline.pk])).status_code == 403
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()
