"""Leads: the one scoring standard, fair allocation, escalation and conversion."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.core.models import ChangeLogEntry
from guanxi.core.tests.factories import make_user
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import create_account, create_contact
from guanxi.leads.models import (
    AssignmentRule,
    Lead,
    LeadScoringRule,
    RepAvailability,
    ScoringSettings,
)
from guanxi.leads.services import (
    assign_leads,
    convert_lead,
    create_lead,
    escalate_overdue,
    mark_contacted,
    record_behaviour,
)
from guanxi.sales.models import Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def east_rule(org):
    return AssignmentRule.objects.create(name="East", team=org.east, order=1)


def bulk_leads(n, **fields):
    now = timezone.now()
    Lead.objects.bulk_create(
        [Lead(person_name=f"L{i}", created_at=now, updated_at=now, **fields) for i in range(n)]
    )
    return list(Lead.objects.order_by("pk"))


def test_round_robin_over_1000_leads_is_even(org, east_rule):
    # given a team with two reps, its manager, a read-only member and a service agent
    leads = bulk_leads(1000)
    # when the rules run
    result = assign_leads(leads)
    counts = Counter(result.values())
    # then each rep gets the same count ±1 and nobody else gets any
    eligible = {org.east_rep.pk, org.east_rep2.pk}
    assert set(counts) == eligible
    assert max(counts.values()) - min(counts.values()) <= 1
    assert ChangeLogEntry.objects.filter(object_type="lead").count() == 1000


def test_round_robin_continues_where_it_stopped(org, east_rule):
    first = assign_leads(bulk_leads(1))
    second = assign_leads(list(Lead.objects.filter(owner__isnull=True)) + bulk_leads(1)[-1:])
    owners = [*first.values(), *second.values()]
    assert len(set(owners)) == len(owners)


def test_capacity_and_absence_are_respected(org, east_rule):
    RepAvailability.objects.create(user=org.east_rep, max_open_leads=3)
    RepAvailability.objects.create(
        user=org.east_rep2,
        absent_from=timezone.now() - timedelta(1),
        absent_until=timezone.now() + timedelta(1),
    )
    result = assign_leads(bulk_leads(20))
    counts = Counter(result.values())
    assert counts[org.east_rep.pk] == 3
    assert org.east_rep2.pk not in counts
    assert counts[None] == 17  # left in the team's queue


def test_lead_stays_in_team_queue_when_nobody_has_room(org, east_rule):
    for user in (org.east_rep, org.east_rep2):
        RepAvailability.objects.create(user=user, accepts_leads=False)
    [lead] = bulk_leads(1)
    assert assign_leads([lead]) == {lead.pk: None}
    lead.refresh_from_db()
    assert lead.team == org.east
    assert lead in Lead.objects.visible_to(org.east_manager)


def test_rule_conditions_route_by_province_and_source(org, east_rule):
    AssignmentRule.objects.create(
        name="West web", team=org.west, order=0, provinces="四川,重庆", sources="web_form"
    )
    lead = create_lead(None, {"person_name": "王五", "province": "四川", "source": "web_form"})
    other = create_lead(None, {"person_name": "赵六", "province": "四川", "source": "referral"})
    assert lead.owner == org.west_rep
    assert other.team == org.east


def test_least_loaded_picks_the_rep_with_fewest_open_leads(org):
    AssignmentRule.objects.create(name="East", team=org.east, method="least_loaded")
    existing = bulk_leads(2)
    Lead.objects.filter(pk__in=[x.pk for x in existing]).update(owner=org.east_rep)
    lead = create_lead(None, {"person_name": "新"})
    assert lead.owner == org.east_rep2


def test_scoring_applies_rules_and_qualifies_at_threshold(org):
    ScoringSettings.objects.update_or_create(pk=1, defaults={"qualify_threshold": 30})
    LeadScoringRule.objects.create(
        name="Has budget", field="budget", operator="gte", value="100000", points=20
    )
    LeadScoringRule.objects.create(
        name="Free mail", field="email", operator="contains", value="@qq.com", points=-5
    )
    LeadScoringRule.objects.create(
        name="Replied", kind="behaviour", behaviour="email_reply", points=15, max_times=2
    )
    lead = create_lead(
        org.east_rep, {"person_name": "A", "budget": Decimal("200000"), "email": "a@qq.com"}
    )
    assert lead.score == 15
    assert lead.status == "new"
    assert [line["rule"] for line in lead.score_breakdown] == ["Has budget", "Free mail"]
    lead = record_behaviour(lead, "email_reply")
    assert (lead.score, lead.status) == (30, "qualified")
    for _ in range(3):
        lead = record_behaviour(lead, "email_reply")
    assert lead.score == 45  # counted at most twice


def test_not_contacted_lead_escalates_to_manager(org):
    AssignmentRule.objects.create(name="East", team=org.east, contact_within_hours=4)
    late = create_lead(None, {"person_name": "Late"})
    early = create_lead(None, {"person_name": "Early"})
    mark_contacted(early.owner, early)
    Lead.objects.update(assigned_at=timezone.now() - timedelta(hours=5))
    assert escalate_overdue() == {"escalated": 1, "requeued": 0}
    late.refresh_from_db()
    assert late.owner == org.east_manager
    assert late.escalated_at is not None


def test_not_contacted_lead_requeues_to_another_rep(org):
    AssignmentRule.objects.create(
        name="East", team=org.east, contact_within_hours=4, on_timeout="requeue"
    )
    lead = create_lead(None, {"person_name": "Late"})
    first_owner = lead.owner
    Lead.objects.update(assigned_at=timezone.now() - timedelta(hours=5))
    assert escalate_overdue()["requeued"] == 1
    lead.refresh_from_db()
    assert lead.owner not in (None, first_owner)


def test_conversion_links_to_existing_account_by_contact_email(org):
    account = create_account(org.east_rep, {"name": "上海星辰机械有限公司"})
    create_contact(org.east_rep, {"name": "张三", "account": account, "email": "zs@xingchen.cn"})
    lead = create_lead(
        org.east_rep,
        {
            "person_name": "张三",
            "company": "星辰机械",
            "email": "zs@xingchen.cn",
            "budget": Decimal("5000"),
        },
        assign=False,
    )
    got_account, contact, opp = convert_lead(org.east_rep, lead)
    assert got_account == account
    assert Account.objects.count() == 1
    assert Contact.objects.count() == 1
    assert opp.account == account and opp.amount == Decimal("5000.00")
    lead.refresh_from_db()
    assert (
        lead.status,
        lead.converted_account,
        lead.converted_contact,
        lead.converted_opportunity,
    ) == ("converted", account, contact, opp)


def test_conversion_links_by_near_same_company_name(org):
    account = create_account(org.east_rep, {"name": "北京华为科技有限公司"})
    lead = create_lead(
        org.east_rep, {"person_name": "李四", "company": "北京华为科技"}, assign=False
    )
    got_account, contact, _opp = convert_lead(org.east_rep, lead)
    assert got_account == account
    assert contact.account == account


def test_conversion_creates_new_records_when_nothing_matches(org):
    lead = create_lead(org.east_rep, {"person_name": "王五", "company": "新公司"}, assign=False)
    account, contact, opp = convert_lead(org.east_rep, lead)
    assert (account.name, contact.name, account.relationship_class) == ("新公司", "王五", "target")
    assert Opportunity.objects.get().source_lead_id == lead.pk


def test_conversion_does_not_link_to_an_account_the_rep_cannot_see(org):
    create_account(org.west_rep, {"name": "星辰机械有限公司"})
    lead = create_lead(org.east_rep, {"person_name": "张三", "company": "星辰机械"}, assign=False)
    account, _c, _o = convert_lead(org.east_rep, lead)
    assert account.owner == org.east_rep
    assert Account.objects.count() == 2


def test_converted_lead_cannot_be_converted_again(org):
    lead = create_lead(org.east_rep, {"person_name": "A"}, assign=False)
    convert_lead(org.east_rep, lead)
    with pytest.raises(ValidationError):
        convert_lead(org.east_rep, lead)


def test_public_form_lead_without_rules_has_no_owner(org):
    lead = create_lead(None, {"person_name": "Web"})
    assert lead.owner is None
    assert lead in Lead.objects.visible_to(org.admin)
    assert make_user("sales_rep") is not None
