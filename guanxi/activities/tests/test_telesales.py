"""Call lists: built from a filter over visible records, walked through on the call screen,
each call logged on the record's timeline, counts per rep per day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from guanxi.activities import selectors, services
from guanxi.activities.models import (
    Activity,
    ActivityStatus,
    CallList,
    CallListEntry,
    CallOutcome,
    EntryStatus,
)
from guanxi.core import services as core
from guanxi.core.models import Note
from guanxi.leads.models import Lead, LeadStatus

from .helpers import make_account, make_lead, outcome

pytestmark = pytest.mark.django_db


def build(user, query="", record_type="lead", **extra):
    return services.create_call_list(
        user, {"name": "Trade show follow-up", "record_type": record_type, "query": query, **extra}
    )


@pytest.fixture
def leads(org):
    """Leads of east_rep from two sources, one of west_rep, and one shared with east_rep."""
    mine_show = [make_lead(org.east_rep, f"展会{i}", source="trade_show") for i in range(3)]
    mine_web = make_lead(org.east_rep, "网站", source="web_form")
    theirs = make_lead(org.west_rep, "别人的", source="trade_show")
    shared = make_lead(org.west_rep, "共享的", source="trade_show")
    core.share_record(org.west_rep, shared, user=org.east_rep, access="read")
    return {"show": mine_show, "web": mine_web, "theirs": theirs, "shared": shared}


def test_call_list_contains_exactly_the_visible_matching_records(org, leads):
    call_list = build(org.east_rep, "source=trade_show")

    entries = list(call_list.entries.order_by("position"))
    expected = sorted([lead.pk for lead in leads["show"]] + [leads["shared"].pk])
    assert [e.object_id for e in entries] == expected
    assert [e.position for e in entries] == [1, 2, 3, 4]
    assert all(e.status == EntryStatus.PENDING for e in entries)
    assert call_list.built_at is not None


def test_call_list_is_a_snapshot(org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    make_lead(org.east_rep, "后来的", source="trade_show")

    assert call_list.entries.count() == 4


def test_call_list_from_a_saved_view_uses_its_filter(org, leads):
    view = core.save_view(org.east_rep, "lead", "Web leads", query="source=web_form")

    call_list = services.create_call_list(org.east_rep, {"name": "Web", "saved_view": view})

    assert call_list.record_type == "lead"
    assert call_list.query == "source=web_form"
    assert [e.object_id for e in call_list.entries.all()] == [leads["web"].pk]


def test_call_list_from_someone_elses_private_view_is_refused(org, leads):
    view = core.save_view(org.west_rep, "lead", "Mine", query="source=web_form")

    with pytest.raises(ValidationError) as error:
        services.create_call_list(org.east_rep, {"name": "Web", "saved_view": view})
    assert "saved_view" in error.value.message_dict


def test_call_list_of_contacts_and_accounts(org):
    account = make_account(org.east_rep, "深圳客户", city="深圳")
    make_account(org.east_rep, "广州客户", city="广州")
    from guanxi.customers.services import create_contact

    contact = create_contact(org.east_rep, {"name": "陈静", "account": account})

    by_city = build(org.east_rep, "city=深圳", record_type="account")
    contacts = build(org.east_rep, f"account={account.pk}", record_type="contact")

    assert [e.object_id for e in by_city.entries.all()] == [account.pk]
    assert [e.object_id for e in contacts.entries.all()] == [contact.pk]


def test_call_list_with_a_bad_filter_or_no_match_is_refused(org, leads):
    with pytest.raises(ValidationError) as error:
        build(org.east_rep, "score_min=lots")
    assert "query" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        build(org.east_rep, "source=partner")
    assert "query" in error.value.message_dict
    assert not CallList.all_objects.exists()


def test_logging_a_call_logs_it_on_the_lead_and_marks_it_contacted(org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    entry = call_list.entries.order_by("position").first()

    logged = services.log_list_call(
        org.east_rep, entry, outcome=outcome("interested"), notes="Wants the price list"
    )

    assert logged.status == EntryStatus.DONE
    assert logged.caller == org.east_rep
    call = logged.activity
    assert (call.kind, call.status, call.outcome.code) == ("call", "done", "interested")
    lead = Lead.objects.get(pk=entry.object_id)
    assert lead.status == LeadStatus.CONTACTED
    note = Note.objects.get(object_id=lead.pk, kind="call")
    assert "Wants the price list" in note.body


def test_next_call_is_planned_as_an_open_call(org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    entry = call_list.entries.order_by("position").first()
    when = timezone.now() + dt.timedelta(days=1)

    logged = services.log_list_call(
        org.east_rep, entry, outcome=outcome("call_back"), next_call_at=when
    )

    follow_up = logged.next_activity
    assert (follow_up.kind, follow_up.status, follow_up.due_at) == ("call", "open", when)
    assert follow_up.related.pk == entry.object_id
    assert follow_up.owner == org.east_rep


def test_an_outcome_that_needs_a_next_call_refuses_without_one(org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    entry = call_list.entries.first()

    with pytest.raises(ValidationError) as error:
        services.log_list_call(org.east_rep, entry, outcome=outcome("no_answer"))

    assert "next_call_at" in error.value.message_dict
    assert CallListEntry.objects.get(pk=entry.pk).status == EntryStatus.PENDING
    assert not Activity.objects.exists()


def test_an_entry_is_logged_once(org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    entry = call_list.entries.first()
    services.log_list_call(org.east_rep, entry, outcome=outcome("interested"))

    with pytest.raises(ValidationError):
        services.log_list_call(org.east_rep, entry, outcome=outcome("interested"))
    assert Activity.objects.count() == 1


def test_skip_passes_over_an_entry(org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    entry = call_list.entries.first()

    skipped = services.skip_list_entry(org.east_rep, entry, notes="Duplicate")

    assert skipped.status == EntryStatus.SKIPPED
    assert not Activity.objects.exists()


def test_script_placeholders_are_filled_from_the_record(org):
    lead = make_lead(org.east_rep, "王伟", company="华为", title="采购经理")

    text = services.fill_script(
        "您好{name}，我是{me}，打给{company}的{title}。{unknown}",
        services.script_values(lead, org.east_rep),
    )

    assert text == f"您好王伟，我是{org.east_rep}，打给华为的采购经理。{{unknown}}"


def test_counts_per_rep_per_day_follow_the_logged_calls(org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    entries = list(call_list.entries.order_by("position"))
    services.log_list_call(org.east_rep, entries[0], outcome=outcome("interested"))
    services.log_list_call(org.east_rep, entries[1], outcome=outcome("not_interested"))
    services.log_list_call(
        org.east_rep,
        entries[2],
        outcome=outcome("no_answer"),
        next_call_at=timezone.now() + dt.timedelta(hours=3),
    )
    today = timezone.localdate()

    report = selectors.call_counts(org.east_manager, today, today)

    (row,) = report.rows
    assert (row.day, row.owner, row.total, row.successful) == (today, org.east_rep, 3, 1)
    assert row.by_outcome[outcome("no_answer").pk] == 1
    # the planned call back is not a call made
    assert Activity.objects.filter(status=ActivityStatus.OPEN, kind="call").count() == 1


def test_counts_are_by_the_day_in_the_viewers_time_zone(org):
    lead = make_lead(org.east_rep)
    late = dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC)  # 01:30 on 2 Dec in Shanghai
    services.log_call(org.east_rep, lead, outcome=outcome("busy"), at=late)

    day = dt.date(2026, 12, 2)

    in_utc = selectors.call_counts(org.east_rep, day, day, zone=dt.UTC)
    in_shanghai = selectors.call_counts(org.east_rep, day, day, zone=ZoneInfo("Asia/Shanghai"))

    assert (in_utc.total, in_shanghai.total) == (0, 1)
    assert in_shanghai.rows[0].day == day


def test_call_report_page_shows_counts_per_rep_per_day(client, org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    for entry in list(call_list.entries.order_by("position"))[:2]:
        services.log_list_call(org.east_rep, entry, outcome=outcome("interested"))
    client.force_login(org.east_manager)

    response = client.get(reverse("activities:call-report"))

    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-rep="{org.east_rep.username}"' in body
    (row, counts) = response.context["rows"][0]
    assert row.total == 2


# -- the call screen -----------------------------------------------------------------------------


def test_call_screen_walks_through_the_list(client, org, leads):
    lead = make_lead(org.east_rep, "刘洋", company="阿里", mobile="13800138000", source="referral")
    call_list = services.create_call_list(
        org.east_rep,
        {
            "name": "Referrals",
            "record_type": "lead",
            "query": "source=referral",
            "script": "您好{name}，{company}最近怎么样？",
        },
    )
    client.force_login(org.east_rep)

    start = client.get(reverse("activities:calllist-call", args=[call_list.pk]))
    entry = call_list.entries.get()
    assert start.url == reverse("activities:call-screen", args=[call_list.pk, entry.pk])
    screen = client.get(start.url)
    body = screen.content.decode()
    assert "您好刘洋，阿里最近怎么样？" in body
    assert 'href="tel:13800138000"' in body

    logged = client.post(
        start.url, {"_action": "log", "outcome": outcome("interested").pk, "notes": "Good"}
    )

    assert logged.status_code == 302
    assert logged.url == call_list.get_absolute_url()  # everyone called
    assert CallListEntry.objects.get(pk=entry.pk).status == EntryStatus.DONE
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED


def test_call_screen_goes_on_to_the_next_entry(client, org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    first, second = list(call_list.entries.order_by("position"))[:2]
    client.force_login(org.east_rep)
    url = reverse("activities:call-screen", args=[call_list.pk, first.pk])

    response = client.post(url, {"_action": "skip"})

    assert response.url == reverse("activities:call-screen", args=[call_list.pk, second.pk])


def test_call_screen_shows_the_error_when_a_next_call_is_missing(client, org, leads):
    call_list = build(org.east_rep, "source=trade_show")
    entry = call_list.entries.first()
    client.force_login(org.east_rep)

    response = client.post(
        reverse("activities:call-screen", args=[call_list.pk, entry.pk]),
        {"_action": "log", "outcome": outcome("no_answer").pk},
    )

    assert response.status_code == 200
    assert "next_call_at" in response.context["form"].errors
    assert CallListEntry.objects.get(pk=entry.pk).status == EntryStatus.PENDING


def test_build_a_call_list_from_the_page(client, org, leads):
    client.force_login(org.east_rep)

    response = client.post(
        reverse("activities:calllist-create"),
        {"name": "Show", "record_type": "lead", "query": "source=trade_show", "script": ""},
    )

    call_list = CallList.objects.get(name="Show")
    assert response.url == call_list.get_absolute_url()
    assert call_list.entries.count() == 4
    detail = client.get(call_list.get_absolute_url())
    assert detail.status_code == 200
    assert 'id="start-calling"' in detail.content.decode()


def test_bad_filter_on_the_page_shows_next_to_the_field(client, org, leads):
    client.force_login(org.east_rep)

    response = client.post(
        reverse("activities:calllist-create"),
        {"name": "None", "record_type": "lead", "query": "source=partner"},
    )

    assert response.status_code == 200
    assert "query" in response.context["form"].errors


def test_administrators_edit_call_outcomes(client, org):
    client.force_login(org.admin)

    response = client.post(
        reverse("activities:outcome-create"),
        {"code": "sent_brochure", "label": "Sent a brochure", "order": 5, "is_active": "on"},
    )

    assert response.status_code == 302
    assert CallOutcome.objects.get(code="sent_brochure").label == "Sent a brochure"


def test_a_rep_cannot_edit_call_outcomes(client, org):
    client.force_login(org.east_rep)

    assert client.get(reverse("activities:outcome-list")).status_code == 403
    response = client.post(reverse("activities:outcome-create"), {"code": "x", "label": "X"})
    assert response.status_code == 403
    assert not CallOutcome.objects.filter(code="x").exists()


def test_an_outcome_in_use_cannot_be_deleted(org):
    lead = make_lead(org.east_rep)
    services.log_call(org.east_rep, lead, outcome=outcome("busy"))

    with pytest.raises(ValidationError):
        services.delete_call_outcome(org.admin, outcome("busy"))
    assert CallOutcome.objects.filter(code="busy").exists()
