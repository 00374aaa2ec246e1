"""Lead pages: list with filters, detail with the score and why, status actions, timeline,
create and edit, bulk actions and the Convert page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.core import services as core
from guanxi.core.models import ChangeLogEntry
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import create_account, create_contact
from guanxi.leads import rules, services
from guanxi.leads.models import AssignmentRule, Lead, LeadScoringRule
from guanxi.marketing.services import create_campaign
from guanxi.sales.models import Opportunity

pytestmark = pytest.mark.django_db


def make_lead(actor, **data):
    data.setdefault("person_name", "张三")
    return services.create_lead(actor, data, assign=False)


# --------------------------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------------------------


def test_list_filters_by_status_source_and_score_range(client, org):
    hot = make_lead(org.east_rep, person_name="Hot", source="trade_show")
    cold = make_lead(org.east_rep, person_name="Cold", source="web_form")
    Lead.objects.filter(pk=hot.pk).update(score=80, status="qualified")
    client.force_login(org.east_rep)
    url = reverse("leads:lead-list")

    by_status = client.get(url, {"status": "qualified"}).content.decode()
    by_source = client.get(url, {"source": "web_form"}).content.decode()
    by_score = client.get(url, {"score_min": "50", "score_max": "100"}).content.decode()

    assert f'data-id="{hot.pk}"' in by_status and f'data-id="{cold.pk}"' not in by_status
    assert f'data-id="{cold.pk}"' in by_source and f'data-id="{hot.pk}"' not in by_source
    assert f'data-id="{hot.pk}"' in by_score and f'data-id="{cold.pk}"' not in by_score


def test_list_filters_by_campaign_owner_and_search(client, org):
    campaign = create_campaign(org.admin, {"name": "Expo"})
    mine = make_lead(org.east_manager, person_name="李雷", campaign=campaign)
    other = make_lead(org.east_rep, person_name="韩梅梅")
    client.force_login(org.east_manager)
    url = reverse("leads:lead-list")

    by_campaign = client.get(url, {"campaign": campaign.pk}).content.decode()
    by_owner = client.get(url, {"owner": org.east_rep.pk}).content.decode()
    by_q = client.get(url, {"q": "hmm"}).content.decode()

    assert f'data-id="{mine.pk}"' in by_campaign and f'data-id="{other.pk}"' not in by_campaign
    assert f'data-id="{other.pk}"' in by_owner and f'data-id="{mine.pk}"' not in by_owner
    assert f'data-id="{other.pk}"' in by_q and f'data-id="{mine.pk}"' not in by_q


def _list_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"per_page": 100, "columns": ",".join(ALL_COLUMNS)})
    assert response.status_code == 200
    return len(queries.captured_queries)


ALL_COLUMNS = [
    "person_name",
    "company",
    "status",
    "score",
    "source",
    "campaign",
    "owner",
    "team",
    "tags",
    "created_at",
]


def test_list_makes_the_same_queries_for_10_and_100_rows(client, org):
    campaign = create_campaign(org.admin, {"name": "Expo"})

    def add(n, start):
        for i in range(start, start + n):
            lead = make_lead(org.east_rep, person_name=f"L{i}", campaign=campaign)
            lead.tags.add(*core.get_or_create_tags(org.east_rep, [f"t{i % 3}"]))

    add(10, 0)
    client.force_login(org.east_manager)
    url = reverse("leads:lead-list")
    _list_queries(client, url)  # warm: session, content types
    ten = _list_queries(client, url)
    add(90, 10)
    hundred = _list_queries(client, url)

    assert ten == hundred


def test_bulk_assign_and_tag_and_delete(client, org):
    leads = [make_lead(org.east_rep, person_name=f"B{i}") for i in range(3)]
    client.force_login(org.east_manager)
    url = reverse("leads:lead-list")
    ids = [str(lead.pk) for lead in leads]

    client.post(
        url, {"_action": "assign_owner", "assign_owner-owner": org.east_rep2.pk, "ids": ids}
    )
    client.post(url, {"_action": "add_tag", "add_tag-tag": "展会", "ids": ids[:2]})
    client.post(url, {"_action": "delete", "ids": ids[2:]})

    owners = set(Lead.all_objects.filter(pk__in=ids).values_list("owner", flat=True))
    assert owners == {org.east_rep2.pk}
    assert [list(lead.tags.values_list("name", flat=True)) for lead in leads[:2]] == [["展会"]] * 2
    assert not Lead.objects.filter(pk=leads[2].pk).exists()
    assert Lead.all_objects.get(pk=leads[2].pk).deleted_at is not None


def test_bulk_back_through_the_rules_gives_each_lead_a_new_rep(client, org):
    AssignmentRule.objects.create(name="East", team=org.east)
    leads = [make_lead(org.east_rep, person_name=f"R{i}") for i in range(2)]
    client.force_login(org.east_manager)

    client.post(
        reverse("leads:lead-list"),
        {"_action": "assign_rules", "ids": [str(lead.pk) for lead in leads]},
    )

    assert set(Lead.objects.values_list("owner", flat=True)) == {org.east_rep2.pk}


# --------------------------------------------------------------------------------------------
# detail and actions
# --------------------------------------------------------------------------------------------


def test_detail_shows_the_score_and_why(client, org):
    LeadScoringRule.objects.create(
        name="Big budget", field="budget", operator="gte", value="100000", points=30
    )
    LeadScoringRule.objects.create(
        name="Free mail", field="email", operator="contains", value="@qq.com", points=-5
    )
    lead = make_lead(org.east_rep, budget=Decimal("200000"), email="a@qq.com")
    client.force_login(org.east_rep)

    html = client.get(lead.get_absolute_url()).content.decode()

    assert lead.score == 25
    assert 'id="score-value">25<' in html
    assert "Big budget" in html and "+30" in html
    assert "Free mail" in html and "-5" in html
    assert "25 points below the qualification threshold of 50" in html


def test_mark_contacted_disqualify_and_reassign(client, org):
    lead = make_lead(org.east_rep)
    client.force_login(org.east_manager)

    client.post(reverse("leads:lead-contacted", args=[lead.pk]))
    lead.refresh_from_db()
    assert (lead.status, lead.first_contacted_at is not None) == ("contacted", True)

    client.post(
        reverse("leads:lead-reassign", args=[lead.pk]), {"how": "owner", "owner": org.east_rep2.pk}
    )
    lead.refresh_from_db()
    assert lead.owner == org.east_rep2

    client.post(
        reverse("leads:lead-disqualify", args=[lead.pk]),
        {"reason": "No budget", "version": lead.version},
    )
    lead.refresh_from_db()
    assert (lead.status, lead.disqualify_reason) == ("disqualified", "No budget")


def test_disqualify_without_reason_changes_nothing(client, org):
    lead = make_lead(org.east_rep)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("leads:lead-disqualify", args=[lead.pk]), {"reason": "", "version": lead.version}
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "new"


def test_rep_cannot_reassign_to_a_colleague_but_can_send_back_through_the_rules(client, org):
    AssignmentRule.objects.create(name="East", team=org.east)
    lead = make_lead(org.east_rep)
    client.force_login(org.east_rep)

    client.post(
        reverse("leads:lead-reassign", args=[lead.pk]), {"how": "owner", "owner": org.east_rep2.pk}
    )
    lead.refresh_from_db()
    assert lead.owner == org.east_rep

    response = client.post(reverse("leads:lead-reassign", args=[lead.pk]), {"how": "rules"})
    lead.refresh_from_db()
    assert lead.owner == org.east_rep2
    assert response["Location"] == reverse("leads:lead-list")  # no longer theirs to see


def test_logging_a_call_marks_the_lead_contacted_but_a_note_does_not(client, org):
    lead = make_lead(org.east_rep)
    other = make_lead(org.east_rep, person_name="Other")
    client.force_login(org.east_rep)
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    client.post(
        reverse("leads:lead-timeline", args=[other.pk]),
        {"kind": "note", "subject": "Just a note", "occurred_at": when},
    )
    client.post(
        reverse("leads:lead-timeline", args=[lead.pk]),
        {"kind": "call", "subject": "First call", "occurred_at": when},
    )

    lead.refresh_from_db()
    other.refresh_from_db()
    assert lead.status == "contacted" and lead.first_contacted_at is not None
    assert other.status == "new" and other.first_contacted_at is None
    timeline = client.get(f"{lead.get_absolute_url()}?tab=timeline").content.decode()
    assert "First call" in timeline


def test_recording_a_behaviour_rescores_the_lead(client, org):
    LeadScoringRule.objects.create(
        name="Replied", kind="behaviour", behaviour="email_reply", points=15, max_times=2
    )
    lead = make_lead(org.east_rep)
    client.force_login(org.east_rep)
    url = reverse("leads:lead-behaviour", args=[lead.pk])

    for _ in range(3):
        client.post(url, {"kind": "email_reply", "detail": "Re: quote"})

    lead.refresh_from_db()
    assert lead.score == 30  # counted at most twice
    page = client.get(f"{lead.get_absolute_url()}?tab=behaviours").content.decode()
    assert page.count('data-kind="email_reply"') == 3


# --------------------------------------------------------------------------------------------
# create and edit
# --------------------------------------------------------------------------------------------


def test_create_form_has_no_protected_fields(client, org):
    client.force_login(org.east_rep)

    html = client.get(reverse("leads:lead-create")).content.decode()

    for name in ("score", "score_breakdown", "status", "converted_account", "version", "web_form"):
        assert f'name="{name}"' not in html
    assert 'name="person_name"' in html


def test_create_keeps_the_lead_unless_the_rules_are_asked(client, org):
    AssignmentRule.objects.create(name="East", team=org.east, method="least_loaded")
    client.force_login(org.east_rep)
    url = reverse("leads:lead-create")

    kept = client.post(url, {"person_name": "Mine", "source": "referral", "currency": "CNY"})
    routed = client.post(
        url,
        {"person_name": "Routed", "source": "referral", "currency": "CNY", "assign_by_rules": "on"},
    )

    mine = Lead.objects.get(person_name="Mine")
    assert kept["Location"] == mine.get_absolute_url()
    assert mine.owner == org.east_rep
    assert Lead.objects.get(person_name="Routed").owner == org.east_rep2
    assert routed["Location"] == reverse("leads:lead-list")


def test_create_shows_a_bad_mobile_next_to_the_field(client, org):
    client.force_login(org.east_rep)

    response = client.post(
        reverse("leads:lead-create"),
        {"person_name": "X", "mobile": "123", "source": "other", "currency": "CNY"},
    )

    assert response.status_code == 200
    assert "Enter a mainland China mobile number" in response.content.decode()
    assert not Lead.all_objects.exists()


def test_edit_with_an_old_version_shows_the_conflict(client, org):
    lead = make_lead(org.east_rep, company="A")
    services.update_lead(org.east_rep, lead, {"company": "B"}, expected_version=lead.version)
    client.force_login(org.east_rep)
    form = client.get(reverse("leads:lead-edit", args=[lead.pk]))
    assert form.status_code == 200

    response = client.post(
        reverse("leads:lead-edit", args=[lead.pk]),
        {
            "person_name": "张三",
            "company": "C",
            "source": "other",
            "currency": "CNY",
            "status": "new",
            "version": lead.version,  # the version before B
        },
    )

    assert response.status_code == 409
    assert Lead.objects.get(pk=lead.pk).company == "B"


# --------------------------------------------------------------------------------------------
# conversion
# --------------------------------------------------------------------------------------------


def test_convert_page_shows_the_matching_account_and_links_to_it(client, org):
    account = create_account(org.east_rep, {"name": "上海星辰机械有限公司"})
    contact = create_contact(
        org.east_rep, {"name": "张三", "account": account, "email": "zs@xingchen.cn"}
    )
    lead = make_lead(
        org.east_rep, company="星辰机械", email="zs@xingchen.cn", product_interest="数控机床"
    )
    client.force_login(org.east_rep)
    url = reverse("leads:lead-convert", args=[lead.pk])

    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "account_choice": "match",
            "create_opportunity": "on",
            "opportunity_name": "数控机床 x2",
            "amount": "120000",
            "currency": "CNY",
            "expected_close_date": "2027-01-31",
            "version": lead.version,
        },
    )

    assert "上海星辰机械有限公司" in page and 'id="matching-account"' in page
    assert response.status_code == 302
    lead.refresh_from_db()
    opportunity = Opportunity.objects.get()
    assert (lead.status, lead.converted_account, lead.converted_contact) == (
        "converted",
        account,
        contact,
    )
    assert lead.converted_opportunity == opportunity
    assert (opportunity.name, opportunity.amount, opportunity.account) == (
        "数控机床 x2",
        Decimal("120000.00"),
        account,
    )
    assert Account.objects.count() == 1 and Contact.objects.count() == 1
    assert (
        response["Location"]
        in (
            account.get_absolute_url(),
            f"/sales/opportunities/{opportunity.pk}/",
        )
        or str(opportunity.pk) in response["Location"]
    )


def test_convert_can_create_a_new_account_despite_a_match(client, org):
    create_account(org.east_rep, {"name": "星辰机械有限公司"})
    lead = make_lead(org.east_rep, company="星辰机械")
    client.force_login(org.east_rep)

    client.post(
        reverse("leads:lead-convert", args=[lead.pk]),
        {"account_choice": "new", "currency": "CNY", "version": lead.version},
    )

    lead.refresh_from_db()
    assert Account.objects.count() == 2
    assert lead.converted_account.name == "星辰机械"
    assert lead.converted_opportunity is None


def test_convert_to_another_visible_account(client, org):
    other = create_account(org.east_rep, {"name": "Other Co"})
    lead = make_lead(org.east_rep, company="Unrelated")
    client.force_login(org.east_rep)

    client.post(
        reverse("leads:lead-convert", args=[lead.pk]),
        {
            "account_choice": "other",
            "account": other.pk,
            "create_opportunity": "on",
            "opportunity_name": "Deal",
            "currency": "CNY",
            "version": lead.version,
        },
    )

    lead.refresh_from_db()
    assert lead.converted_account == other
    assert Account.objects.count() == 1


def test_convert_refuses_an_account_the_user_cannot_see(client, org):
    hidden = create_account(org.west_rep, {"name": "West only"})
    lead = make_lead(org.east_rep)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("leads:lead-convert", args=[lead.pk]),
        {"account_choice": "other", "account": hidden.pk, "currency": "CNY", "version": 1},
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.status == "new"


def test_convert_with_a_stale_version_converts_nothing(client, org):
    lead = make_lead(org.east_rep, company="Acme")
    old_version = lead.version
    services.update_lead(org.east_rep, lead, {"title": "CEO"}, expected_version=lead.version)
    client.force_login(org.east_rep)

    response = client.post(
        reverse("leads:lead-convert", args=[lead.pk]),
        {"account_choice": "new", "currency": "CNY", "version": old_version},
    )

    assert response.status_code == 200
    assert "changed this lead meanwhile" in response.content.decode()
    assert not Account.objects.exists()
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_converted_lead_has_no_convert_button_and_links_what_it_became(client, org):
    lead = make_lead(org.east_rep, company="Acme")
    account, contact, _opportunity = services.convert_lead(org.east_rep, lead)
    client.force_login(org.east_rep)

    html = client.get(lead.get_absolute_url()).content.decode()
    convert = client.get(reverse("leads:lead-convert", args=[lead.pk]))

    assert 'id="convert-button"' not in html
    assert account.get_absolute_url() in html and contact.get_absolute_url() in html
    assert convert.status_code == 302


# --------------------------------------------------------------------------------------------
# administration pages
# --------------------------------------------------------------------------------------------


def test_admin_changes_threshold_and_open_leads_are_rescored(client, org):
    LeadScoringRule.objects.create(name="Any", field="person_name", operator="is_set", points=20)
    lead = make_lead(org.east_rep)
    assert lead.status == "new"
    client.force_login(org.admin)
    current = rules.ScoringSettings.current()

    client.post(reverse("leads:scoring"), {"qualify_threshold": 20, "version": current.version})

    lead.refresh_from_db()
    assert lead.status == "qualified"


def test_admin_adds_a_scoring_rule_and_leads_are_rescored(client, org):
    lead = make_lead(org.east_rep, province="四川")
    client.force_login(org.admin)

    response = client.post(
        reverse("leads:scoring-rule-create"),
        {
            "name": "Sichuan",
            "kind": "field",
            "field": "province",
            "operator": "equals",
            "value": "四川",
            "points": 12,
            "max_times": 1,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.score == 12
    assert ChangeLogEntry.objects.filter(object_type="leadscoringrule", action="create").exists()


def test_scoring_rule_form_shows_model_errors_next_to_fields(client, org):
    client.force_login(org.admin)

    response = client.post(
        reverse("leads:scoring-rule-create"),
        {"name": "Broken", "kind": "field", "points": 5, "max_times": 1},
    )

    assert response.status_code == 200
    assert "A field rule needs a field and an operator." in response.content.decode()
    assert not LeadScoringRule.objects.exists()


def test_assignment_rules_are_ordered_and_can_be_moved(client, org):
    client.force_login(org.admin)
    for name, team in (("First", org.east), ("Second", org.west)):
        client.post(
            reverse("leads:assignment-rule-create"),
            {
                "name": name,
                "team": team.pk,
                "method": "round_robin",
                "on_timeout": "escalate",
                "is_active": "on",
                "order": "",
            },
        )
    second = AssignmentRule.objects.get(name="Second")

    client.post(reverse("leads:assignment-rule-move", args=[second.pk]), {"direction": "up"})

    assert list(AssignmentRule.objects.values_list("name", flat=True)) == ["Second", "First"]
    page = client.get(reverse("leads:assignment")).content.decode()
    assert page.index('data-rule="Second"') < page.index('data-rule="First"')


def test_assignment_rule_refuses_unknown_source_codes(client, org):
    client.force_login(org.admin)

    response = client.post(
        reverse("leads:assignment-rule-create"),
        {
            "name": "Bad",
            "team": org.east.pk,
            "method": "round_robin",
            "on_timeout": "escalate",
            "sources": "web_form,fax",
            "order": 10,
        },
    )

    assert response.status_code == 200
    assert "Unknown codes: fax" in response.content.decode()
    assert not AssignmentRule.objects.exists()


def test_availability_page_sets_capacity_and_absence(client, org):
    client.force_login(org.admin)

    page = client.get(reverse("leads:availability")).content.decode()
    client.post(
        reverse("leads:availability-edit", args=[org.east_rep.pk]),
        {"max_open_leads": 5, "absent_from": "2026-12-01T09:00", "accepts_leads": "on"},
    )

    assert 'data-rep="eastrep"' in page
    availability = org.east_rep.availability
    assert availability.max_open_leads == 5
    assert availability.absent_from is not None and availability.absent_until is None


def test_web_form_page_shows_the_snippet_and_iframe(client, org):
    client.force_login(org.admin)

    client.post(
        reverse("leads:web-form-create"),
        {
            "name": "Expo form",
            "source": "trade_show",
            "shown_fields": ["company", "mobile"],
            "is_active": "on",
        },
    )
    web_form = rules.WebForm.objects.get()
    html = client.get(reverse("leads:web-form-edit", args=[web_form.pk])).content.decode()

    assert web_form.fields == ["person_name", "company", "mobile"]
    action = f"http://testserver/f/{web_form.token}/"
    assert f"&lt;form action=&quot;{action}&quot; method=&quot;post&quot;" in html
    assert "name=&quot;website&quot;" in html  # the honeypot
    assert f"&lt;iframe src=&quot;{action}&quot;" in html


def test_campaign_costs_divide_by_all_its_leads_whoever_sees_them(client, org):
    campaign = create_campaign(org.admin, {"name": "Expo", "cost": "1000.00", "currency": "CNY"})
    east = [make_lead(org.east_rep, person_name=f"E{i}", campaign=campaign) for i in range(2)]
    west = [make_lead(org.west_rep, person_name=f"W{i}", campaign=campaign) for i in range(2)]
    Lead.objects.filter(pk__in=[east[0].pk, west[0].pk]).update(status="converted")
    client.force_login(org.east_manager)

    html = client.get(
        reverse("marketing:campaign-detail", args=[campaign.pk]), {"tab": "overview"}
    ).text

    assert '<dd class="col-5 text-end" id="stat-leads">2</dd>' in html  # what the manager sees
    assert "¥250.00" in html[html.index('id="stat-per-lead"') :][:60]  # 1,000 / 4 leads
    assert "¥500.00" in html[html.index('id="stat-per-conversion"') :][:60]  # 1,000 / 2
