"""Activity pages: list, detail, plan and edit, complete, cancel, delete, the record panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.activities.models import Activity, ActivityStatus
from guanxi.core.models import Note

from .helpers import make_account, make_activity, make_lead, outcome

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rep(client, org):
    client.force_login(org.east_rep)
    return client


def test_list_shows_my_activities_and_not_others(rep, org):
    make_activity(org.east_rep, "Mine to do")
    make_activity(org.west_rep, "Theirs to do")

    response = rep.get(reverse("activities:activity-list"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Mine to do" in body
    assert "Theirs to do" not in body


def test_list_filters_by_kind_and_status(rep, org):
    make_activity(org.east_rep, "A call", kind="call")
    task = make_activity(org.east_rep, "A task")
    from guanxi.activities.services import complete_activity

    complete_activity(org.east_rep, task)

    response = rep.get(reverse("activities:activity-list"), {"kind": "call", "status": "open"})

    subjects = [str(obj) for obj, _cells in response.context["rows"]]
    assert subjects == ["A call"]


def test_list_shows_the_record_each_activity_is_on(rep, org):
    account = make_account(org.east_rep, "上海客户")
    make_activity(org.east_rep, "Visit prep", related=account)

    response = rep.get(reverse("activities:activity-list"))

    assert "上海客户" in response.content.decode()


def test_detail_shows_the_activity_and_its_record(rep, org):
    lead = make_lead(org.east_rep, "赵六")
    call = make_activity(org.east_rep, "Call Zhao", kind="call", related=lead)

    response = rep.get(call.get_absolute_url())

    assert response.status_code == 200
    body = response.content.decode()
    assert "Call Zhao" in body
    assert lead.get_absolute_url() in body
    assert 'id="complete-button"' in body


def test_create_from_a_record_prefills_it_and_returns_there(rep, org):
    account = make_account(org.east_rep, "北京客户")
    url = reverse("activities:activity-create")
    back = account.get_absolute_url()
    query = f"?kind=call&object_type=account&object_id={account.pk}&next={back}"

    page = rep.get(url + query)
    assert page.status_code == 200
    assert "北京客户" in page.content.decode()

    response = rep.post(
        url + query,
        {
            "kind": "call",
            "subject": "Call the buyer",
            "related": f"account:{account.pk}",
            "priority": "normal",
            "due_at": "2026-12-01T10:00",
            "reminder_minutes": "15",
            "next": account.get_absolute_url(),
        },
    )

    assert response.status_code == 302
    assert response.url == account.get_absolute_url()
    activity = Activity.objects.get(subject="Call the buyer")
    assert activity.related == account
    assert activity.owner == org.east_rep
    assert activity.reminder_at == activity.due_at - dt.timedelta(minutes=15)


def test_create_form_shows_errors_next_to_the_fields(rep, org):
    response = rep.post(
        reverse("activities:activity-create"),
        {"kind": "meeting", "subject": "", "priority": "normal"},
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "subject" in form.errors
    assert not Activity.objects.exists()


def test_meeting_without_a_start_is_refused_next_to_the_field(rep, org):
    response = rep.post(
        reverse("activities:activity-create"),
        {"kind": "meeting", "subject": "Kick-off", "priority": "normal"},
    )

    assert response.status_code == 200
    assert "start_at" in response.context["form"].errors


def test_related_record_the_user_cannot_see_is_refused(rep, org):
    theirs = make_account(org.west_rep, "Theirs")

    response = rep.post(
        reverse("activities:activity-create"),
        {
            "kind": "task",
            "subject": "Peek",
            "priority": "normal",
            "related": f"account:{theirs.pk}",
        },
    )

    assert response.status_code == 200
    assert "related" in response.context["form"].errors
    assert not Activity.objects.exists()


def test_edit_with_a_stale_version_shows_the_conflict(rep, org):
    task = make_activity(org.east_rep, "Original")
    page = rep.get(reverse("activities:activity-edit", args=[task.pk]))
    form = page.context["form"]
    from guanxi.activities.services import update_activity

    update_activity(org.east_rep, task, {"subject": "Theirs"}, expected_version=task.version)
    data = {
        "kind": "task",
        "subject": "Mine",
        "priority": "normal",
        "version": str(task.version),
        "base": form["base"].value(),
    }

    response = rep.post(reverse("activities:activity-edit", args=[task.pk]), data)

    assert response.status_code == 409
    assert Activity.objects.get(pk=task.pk).subject == "Theirs"


def test_complete_from_the_page_logs_the_call_on_the_lead(rep, org):
    lead = make_lead(org.east_rep)
    call = make_activity(org.east_rep, "Intro call", kind="call", related=lead)

    response = rep.post(
        reverse("activities:activity-complete", args=[call.pk]),
        {"version": call.version, "outcome": outcome("interested").pk, "result": "Keen"},
    )

    assert response.status_code == 302
    assert Activity.objects.get(pk=call.pk).status == ActivityStatus.DONE
    assert Note.objects.filter(object_id=lead.pk, kind="call").exists()


def test_complete_with_a_stale_version_changes_nothing(rep, org):
    task = make_activity(org.east_rep)
    from guanxi.activities.services import update_activity

    update_activity(org.east_rep, task, {"subject": "Changed"}, expected_version=task.version)

    response = rep.post(
        reverse("activities:activity-complete", args=[task.pk]), {"version": task.version}
    )

    assert response.status_code == 302
    assert Activity.objects.get(pk=task.pk).status == ActivityStatus.OPEN


def test_cancel_from_the_page(rep, org):
    task = make_activity(org.east_rep)

    rep.post(reverse("activities:activity-cancel", args=[task.pk]), {"version": task.version})

    assert Activity.objects.get(pk=task.pk).status == ActivityStatus.CANCELLED


def test_delete_moves_to_the_recycle_bin(rep, org):
    task = make_activity(org.east_rep)

    response = rep.post(
        reverse("activities:activity-delete", args=[task.pk]), {"version": task.version}
    )

    assert response.status_code == 302
    assert not Activity.objects.filter(pk=task.pk).exists()
    assert Activity.all_objects.filter(pk=task.pk, deleted_at__isnull=False).exists()


def test_record_panel_lists_the_records_activities(rep, org):
    account = make_account(org.east_rep)
    make_activity(org.east_rep, "Send samples", related=account)
    make_activity(org.east_rep, "Not this one")

    response = rep.get(
        reverse("activities:record-activities", args=["account", account.pk]), **HTMX
    )

    body = response.content.decode()
    assert "Send samples" in body
    assert "Not this one" not in body
    assert f"object_id={account.pk}" in body  # buttons to plan more


def test_record_panel_of_an_invisible_record_is_404(rep, org):
    theirs = make_account(org.west_rep)

    response = rep.get(reverse("activities:record-activities", args=["account", theirs.pk]))

    assert response.status_code == 404


def test_related_autocomplete_finds_visible_records_only(rep, org):
    make_account(org.east_rep, "张三贸易")
    make_account(org.west_rep, "张三物流")

    response = rep.get(reverse("activities:related-autocomplete"), {"q": "zhangsan"})

    body = response.content.decode()
    assert "张三贸易" in body
    assert "张三物流" not in body
    assert 'data-ac-option="account:' in body


def test_pages_render_in_chinese(client, org):
    org.east_rep.language = "zh-hans"
    org.east_rep.save()
    client.force_login(org.east_rep)
    task = make_activity(org.east_rep, due_at=timezone.now())

    for url in (
        reverse("activities:activity-list"),
        task.get_absolute_url(),
        reverse("activities:activity-create"),
        reverse("activities:calendar"),
        reverse("activities:calllist-list"),
        reverse("activities:call-report"),
        reverse("activities:notifications"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == "zh-hans"


def test_activities_are_found_by_pinyin_within_visibility(rep, org):
    mine = make_activity(org.east_rep, "报价跟进")
    make_activity(org.west_rep, "报价复核")

    listed = rep.get(reverse("activities:activity-list"), {"q": "baojia"})
    searched = rep.get(reverse("search"), {"q": "bjgj"})

    assert [obj.pk for obj, _cells in listed.context["rows"]] == [mine.pk]
    assert "报价跟进" in searched.content.decode()
    assert "报价复核" not in searched.content.decode()


def test_activities_panel_tag_loads_the_records_panel(org):
    from django.template import Context, Template

    account = make_account(org.east_rep)

    html = Template("{% load activities %}{% activities_panel account %}").render(
        Context({"account": account})
    )

    assert reverse("activities:record-activities", args=["account", account.pk]) in html
    assert 'hx-trigger="load"' in html
