"""Nurturing pages: sequences with ordered steps, enrolling from the lead pages, unsubscribe."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from guanxi.core.tests.factories import make_user
from guanxi.leads import nurturing, services
from guanxi.leads.models import Enrollment, Lead, Sequence

pytestmark = pytest.mark.django_db

STEPS = [
    {"kind": "email", "subject": "Hello {name}", "body": "Welcome."},
    {"kind": "wait", "wait_days": 2},
    {"kind": "email", "subject": "Again", "body": "Still there?"},
]


def make_lead(actor, **data):
    data.setdefault("person_name", "Alice")
    data.setdefault("email", "alice@example.com")
    return services.create_lead(actor, data, assign=False)


@pytest.fixture
def sequence(org):
    return nurturing.create_sequence(org.admin, {"name": "Welcome"}, STEPS)


def step_post(steps, version=None, name="Welcome"):
    data = {
        "name": name,
        "is_active": "on",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    if version is not None:
        data["version"] = str(version)
    for i, step in enumerate(steps):
        data[f"steps-{i}-kind"] = step.get("kind", "email")
        data[f"steps-{i}-wait_days"] = str(step.get("wait_days", 0))
        data[f"steps-{i}-subject"] = step.get("subject", "")
        data[f"steps-{i}-body"] = step.get("body", "")
        data[f"steps-{i}-ORDER"] = str(step.get("order", i + 1))
        if step.get("delete"):
            data[f"steps-{i}-DELETE"] = "on"
    return data


def test_marketing_creates_a_sequence_with_steps_in_the_chosen_order(client, org):
    marketer = make_user("marketing", team=org.east, username="marketer")
    client.force_login(marketer)
    assert client.get(reverse("nurturing:sequence-create")).status_code == 200
    response = client.post(
        reverse("nurturing:sequence-create"),
        step_post(
            [
                {"kind": "email", "subject": "Second", "body": "b", "order": 2},
                {"kind": "email", "subject": "First", "body": "a", "order": 1},
                {"kind": "email", "subject": "", "body": ""},  # the blank extra row
                {"kind": "email", "subject": "Dropped", "body": "c", "delete": True},
            ]
        ),
    )
    sequence = Sequence.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("nurturing:sequence-detail", args=[sequence.pk])
    subjects = list(sequence.steps.order_by("order").values_list("subject", flat=True))
    assert subjects == ["First", "Second"]


def test_step_errors_are_shown_and_nothing_is_saved(client, org):
    client.force_login(org.admin)
    response = client.post(
        reverse("nurturing:sequence-create"),
        step_post([{"kind": "email", "subject": "No text"}, {"kind": "wait", "wait_days": 0}]),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="step-errors"' in text
    assert "Step 1:" in text and "Step 2:" in text
    assert not Sequence.objects.exists()


def test_editing_keeps_the_version_check(client, org, sequence):
    client.force_login(org.admin)
    page = client.get(reverse("nurturing:sequence-edit", args=[sequence.pk]))
    assert page.context["formset"].initial[0]["subject"] == "Hello {name}"
    ok = client.post(
        reverse("nurturing:sequence-edit", args=[sequence.pk]),
        step_post(STEPS[:1], version=1, name="Renamed"),
    )
    assert ok.status_code == 302
    stale = client.post(
        reverse("nurturing:sequence-edit", args=[sequence.pk]),
        step_post(STEPS, version=1, name="Mine"),
    )
    assert stale.status_code == 200
    assert stale.context["form"].non_field_errors()
    sequence.refresh_from_db()
    assert sequence.name == "Renamed"
    assert sequence.steps.count() == 1


@pytest.mark.parametrize("who", ["director", "east_rep", "read_only"])
def test_others_see_sequences_but_may_not_change_them(client, org, sequence, who):
    client.force_login(getattr(org, who))
    assert client.get(reverse("nurturing:sequence-list")).status_code == 200
    assert client.get(reverse("nurturing:sequence-detail", args=[sequence.pk])).status_code == 200
    assert client.get(reverse("nurturing:sequence-create")).status_code == 403
    assert client.get(reverse("nurturing:sequence-edit", args=[sequence.pk])).status_code == 403
    deleted = client.post(reverse("nurturing:sequence-delete", args=[sequence.pk]))
    assert deleted.status_code == 403
    assert Sequence.objects.exists()


def test_a_rep_enrols_a_lead_from_its_page_and_sees_the_enrolment(
    client, org, sequence, django_capture_on_commit_callbacks
):
    lead = make_lead(org.east_rep)
    client.force_login(org.east_rep)
    detail = reverse("leads:lead-detail", args=[lead.pk])
    page = client.get(detail).content.decode()
    assert 'id="lead-enroll-form"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("nurturing:enroll"),
            {"sequence": sequence.pk, "lead": lead.pk, "next": detail},
        )
    assert response.status_code == 302
    assert response["Location"] == detail
    assert len(mail.outbox) == 1
    page = client.get(detail).content.decode()
    enrollment = Enrollment.objects.get()
    assert f'data-enrollment="{enrollment.pk}" data-status="active"' in page
    # and stops it from there
    client.post(reverse("nurturing:enrollment-stop", args=[enrollment.pk]), {"next": detail})
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.STOPPED


def test_the_lead_list_enrols_ticked_leads_in_bulk(
    client, org, sequence, django_capture_on_commit_callbacks
):
    leads = [
        make_lead(org.east_rep, person_name=f"L{i}", email=f"l{i}@example.com") for i in range(3)
    ]
    opted_out = make_lead(org.east_rep, person_name="Out", opted_out=True)
    client.force_login(org.east_rep)
    page = client.get(reverse("leads:lead-list")).content.decode()
    assert 'data-bulk="enroll"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("leads:lead-list"),
            {
                "_action": "enroll",
                "ids": [lead.pk for lead in leads] + [opted_out.pk],
                "enroll-sequence": sequence.pk,
            },
            follow=True,
        )
    assert set(Enrollment.objects.values_list("lead_id", flat=True)) == {lead.pk for lead in leads}
    assert len(mail.outbox) == 3
    text = response.content.decode()
    assert "opted out of messages: 1" in text


def test_a_user_who_may_not_edit_a_lead_cannot_enrol_or_stop_it(client, org, sequence):
    lead = make_lead(org.east_rep)
    nurturing.enroll_leads(org.east_rep, sequence, [lead])
    other = make_lead(org.east_rep, person_name="Other")
    client.force_login(org.west_rep)
    client.post(reverse("nurturing:enroll"), {"sequence": sequence.pk, "lead": other.pk})
    assert not Enrollment.objects.filter(lead=other).exists()
    enrollment = Enrollment.objects.get(lead=lead)
    response = client.post(reverse("nurturing:enrollment-stop", args=[enrollment.pk]))
    assert response.status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_the_sequence_page_lists_enrolments_of_visible_leads(client, org, sequence):
    mine = make_lead(org.east_rep)
    theirs = make_lead(org.west_rep, person_name="Westerly")
    nurturing.enroll_leads(org.east_rep, sequence, [mine])
    nurturing.enroll_leads(org.west_rep, sequence, [theirs])
    client.force_login(org.east_rep)
    page = client.get(reverse("nurturing:sequence-detail", args=[sequence.pk]))
    assert [e.lead_id for e in page.context["page"]] == [mine.pk]
    assert "Westerly" not in page.content.decode()


def test_the_unsubscribe_link_asks_then_opts_the_lead_out(client, org, sequence):
    lead = make_lead(org.east_rep)
    nurturing.enroll_leads(org.east_rep, sequence, [lead])
    url = reverse("nurturing:unsubscribe", args=[nurturing.unsubscribe_token(lead)])
    # opening the link changes nothing (mail scanners open links)
    page = client.get(url)
    assert page.status_code == 200
    lead.refresh_from_db()
    assert not lead.opted_out
    # confirming opts the lead out and stops its nurturing
    done = client.post(url)
    assert "You are unsubscribed" in done.content.decode()
    lead.refresh_from_db()
    assert lead.opted_out
    assert Enrollment.objects.get().status == Enrollment.Status.STOPPED
    assert client.get(reverse("nurturing:unsubscribe", args=["forged"])).status_code == 404


def test_the_unsubscribe_page_speaks_the_leads_language(client, org, sequence):
    lead = make_lead(org.east_rep, person_name="张伟")
    url = reverse("nurturing:unsubscribe", args=[nurturing.unsubscribe_token(lead)])
    assert '<html lang="zh-hans">' in client.get(url).content.decode()
    assert Lead.objects.filter(pk=lead.pk, opted_out=False).exists()
