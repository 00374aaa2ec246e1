"""/api/v1/leads/ and the lead administration endpoints: CRUD with ETag/If-Match, actions,
conversion linking to an existing account, rules that re-score, web forms and campaigns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.core.api.testing import client_for, count_queries, write
from guanxi.core.models import ChangeLogEntry, Job
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import create_account, create_contact
from guanxi.leads import services
from guanxi.leads.models import (
    AssignmentRule,
    Lead,
    LeadScoringRule,
    RepAvailability,
    ScoringSettings,
    WebForm,
)
from guanxi.marketing.models import Campaign
from guanxi.sales.models import Opportunity

pytestmark = pytest.mark.django_db

URL = "/api/v1/leads/"


def make_lead(actor, **data):
    data.setdefault("person_name", "张三")
    return services.create_lead(actor, data, assign=False)


# --------------------------------------------------------------------------------------------
# CRUD and the version check
# --------------------------------------------------------------------------------------------


def test_create_scores_and_assigns_by_the_rules(org):
    AssignmentRule.objects.create(name="East", team=org.east, method="least_loaded")
    LeadScoringRule.objects.create(name="Has mobile", field="mobile", operator="is_set", points=7)
    client = client_for(org.director)

    response = write(
        client,
        "post",
        URL,
        {"person_name": "李四", "mobile": "+86 139 0013 9000", "source": "trade_show"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["mobile"] == "13900139000"
    assert body["score"] == 7
    assert body["score_breakdown"] == [
        {"rule_id": LeadScoringRule.objects.get().pk, "rule": "Has mobile", "points": 7, "times": 1}
    ]
    assert body["owner"]["id"] in (org.east_rep.pk, org.east_rep2.pk)
    assert response["ETag"] == f'"lead-{body["id"]}-v{body["version"]}"'


def test_create_without_assignment_keeps_the_creator(org):
    AssignmentRule.objects.create(name="East", team=org.east)

    response = write(
        client_for(org.east_rep2), "post", URL, {"person_name": "Mine", "assign": False}
    )

    assert response.status_code == 201
    assert response.json()["owner"]["id"] == org.east_rep2.pk


def test_create_refuses_bad_values_naming_the_fields(org):
    response = write(
        client_for(org.east_rep),
        "post",
        URL,
        {"person_name": "X", "mobile": "123", "email": "not-mail", "score": 99},
    )

    assert response.status_code == 400
    assert set(response.json()) == {"mobile", "email"}
    assert not Lead.all_objects.exists()


def test_get_answers_etag_and_304_when_unchanged(org):
    lead = make_lead(org.east_rep)
    client = client_for(org.east_rep)

    first = client.get(f"{URL}{lead.pk}/")
    again = client.get(f"{URL}{lead.pk}/", headers={"If-None-Match": first["ETag"]})

    assert first.status_code == 200 and first["ETag"] == lead.etag
    assert again.status_code == 304


def test_patch_needs_if_match_and_refuses_a_stale_one(org):
    lead = make_lead(org.east_rep)
    client = client_for(org.east_rep)
    url = f"{URL}{lead.pk}/"

    missing = write(client, "patch", url, {"company": "A"})
    ok = write(client, "patch", url, {"company": "A"}, etag=lead.etag)
    stale = write(client, "patch", url, {"company": "B"}, etag=lead.etag)

    assert missing.status_code == 428
    assert ok.status_code == 200 and ok.json()["company"] == "A"
    assert stale.status_code == 412
    assert stale["ETag"] == ok["ETag"]
    assert Lead.objects.get(pk=lead.pk).company == "A"


def test_protected_fields_in_a_body_are_ignored(org):
    lead = make_lead(org.east_rep)

    response = write(
        client_for(org.east_rep),
        "patch",
        f"{URL}{lead.pk}/",
        {"score": 999, "owner": org.west_rep.pk, "converted_account": 1, "title": "CTO"},
        etag=lead.etag,
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.score, lead.owner, lead.converted_account, lead.title) == (
        0,
        org.east_rep,
        None,
        "CTO",
    )


def test_status_converted_cannot_be_set_by_a_patch(org):
    lead = make_lead(org.east_rep)

    response = write(
        client_for(org.east_rep),
        "patch",
        f"{URL}{lead.pk}/",
        {"status": "converted"},
        etag=lead.etag,
    )

    assert response.status_code == 400
    assert "status" in response.json()


def test_delete_moves_to_the_recycle_bin(org):
    lead = make_lead(org.east_manager)

    response = write(client_for(org.east_manager), "delete", f"{URL}{lead.pk}/", etag=lead.etag)

    assert response.status_code == 204
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert Lead.all_objects.get(pk=lead.pk).deleted_at is not None


def test_list_filters_and_searches(org):
    make_lead(org.east_rep, person_name="王五", source="web_form", company="华为")
    make_lead(org.east_rep, person_name="赵六", source="referral")
    client = client_for(org.east_rep)

    by_source = client.get(URL, {"source": "web_form"}).json()
    by_q = client.get(URL, {"q": "zhaoliu"}).json()

    assert [row["person_name"] for row in by_source["results"]] == ["王五"]
    assert [row["person_name"] for row in by_q["results"]] == ["赵六"]


def test_list_queries_do_not_grow_with_rows(org):
    client = client_for(org.east_rep)
    for i in range(3):
        make_lead(org.east_rep, person_name=f"Q{i}")
    client.get(URL)
    few = count_queries(lambda: client.get(URL))
    for i in range(3, 30):
        make_lead(org.east_rep, person_name=f"Q{i}")

    many = count_queries(lambda: client.get(URL))

    assert few == many


# --------------------------------------------------------------------------------------------
# actions
# --------------------------------------------------------------------------------------------


def test_convert_links_to_the_matching_existing_account_and_contact(org):
    account = create_account(org.east_rep, {"name": "上海星辰机械有限公司"})
    contact = create_contact(
        org.east_rep, {"name": "张三", "account": account, "mobile": "13800138000"}
    )
    lead = make_lead(
        org.east_rep, company="星辰机械", mobile="13800138000", budget=Decimal("88000")
    )

    response = write(
        client_for(org.east_rep),
        "post",
        f"{URL}{lead.pk}/convert/",
        {"opportunity": {"name": "年度采购", "expected_close_date": "2027-03-31"}},
        etag=lead.etag,
    )

    assert response.status_code == 200
    body = response.json()
    opportunity = Opportunity.objects.get()
    assert body == {
        "lead": lead.pk,
        "account": account.pk,
        "contact": contact.pk,
        "opportunity": opportunity.pk,
        "account_was_existing": True,
        "opportunity_url": body["opportunity_url"],
    }
    assert (opportunity.name, opportunity.amount, str(opportunity.expected_close_date)) == (
        "年度采购",
        Decimal("88000.00"),
        "2027-03-31",
    )
    assert Account.objects.count() == 1 and Contact.objects.count() == 1
    lead.refresh_from_db()
    assert (lead.status, lead.converted_account_id, lead.converted_opportunity_id) == (
        "converted",
        account.pk,
        opportunity.pk,
    )
    assert response["ETag"] == lead.etag


def test_convert_with_a_stale_if_match_is_412_and_changes_nothing(org):
    lead = make_lead(org.east_rep, company="Acme")
    old = lead.etag
    services.update_lead(org.east_rep, lead, {"title": "CEO"}, expected_version=lead.version)

    response = write(client_for(org.east_rep), "post", f"{URL}{lead.pk}/convert/", {}, etag=old)

    assert response.status_code == 412
    assert not Account.objects.exists()


def test_convert_to_a_new_account_and_without_opportunity(org):
    create_account(org.east_rep, {"name": "Acme Ltd"})
    lead = make_lead(org.east_rep, company="Acme")

    response = write(
        client_for(org.east_rep),
        "post",
        f"{URL}{lead.pk}/convert/",
        {"new_account": True, "create_opportunity": False},
    )

    assert response.status_code == 200
    assert response.json()["account_was_existing"] is False
    assert response.json()["opportunity"] is None
    assert Account.objects.count() == 2


def test_convert_an_invisible_account_is_400(org):
    hidden = create_account(org.west_rep, {"name": "West"})
    lead = make_lead(org.east_rep)

    response = write(
        client_for(org.east_rep), "post", f"{URL}{lead.pk}/convert/", {"account": hidden.pk}
    )

    assert response.status_code == 400
    assert "account" in response.json()


def test_mark_contacted_disqualify_and_reassign_actions(org):
    AssignmentRule.objects.create(name="East", team=org.east)
    lead = make_lead(org.east_manager)
    client = client_for(org.east_manager)

    contacted = write(client, "post", f"{URL}{lead.pk}/mark-contacted/")
    reassigned = write(client, "post", f"{URL}{lead.pk}/reassign/", {"owner": org.east_rep2.pk})
    back = write(client, "post", f"{URL}{lead.pk}/reassign/", {"owner": None})
    no_reason = write(client, "post", f"{URL}{lead.pk}/disqualify/", {"reason": ""})
    disqualified = write(client, "post", f"{URL}{lead.pk}/disqualify/", {"reason": "Student"})

    assert contacted.json()["status"] == "contacted"
    assert contacted.json()["first_contacted_at"] is not None
    assert reassigned.json()["owner"]["id"] == org.east_rep2.pk
    assert back.json()["owner"]["id"] == org.east_rep.pk  # the rules skip the current owner
    assert no_reason.status_code == 400
    assert disqualified.json()["status"] == "disqualified"
    assert disqualified.json()["disqualify_reason"] == "Student"


def test_rep_may_not_give_a_lead_to_a_colleague(org):
    lead = make_lead(org.east_rep)

    response = write(
        client_for(org.east_rep), "post", f"{URL}{lead.pk}/reassign/", {"owner": org.east_rep2.pk}
    )

    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).owner == org.east_rep


def test_posting_a_behaviour_rescores_and_a_reply_is_listed(org):
    LeadScoringRule.objects.create(
        name="Visited", kind="behaviour", behaviour="web_visit", points=5, max_times=3
    )
    lead = make_lead(org.east_rep)
    client = client_for(org.east_rep)

    posted = write(client, "post", f"{URL}{lead.pk}/behaviours/", {"kind": "web_visit"})
    write(client, "post", f"{URL}{lead.pk}/behaviours/", {"kind": "web_visit", "detail": "/price"})
    bad = write(client, "post", f"{URL}{lead.pk}/behaviours/", {"kind": "teleported"})
    listed = client.get(f"{URL}{lead.pk}/behaviours/").json()

    assert posted.status_code == 201 and posted.json()["kind"] == "web_visit"
    assert bad.status_code == 400 and "kind" in bad.json()
    assert [row["detail"] for row in listed] == ["/price", ""]
    assert Lead.objects.get(pk=lead.pk).score == 10


# --------------------------------------------------------------------------------------------
# administration endpoints
# --------------------------------------------------------------------------------------------


def test_adding_a_scoring_rule_rescores_open_leads(org):
    lead = make_lead(org.east_rep, province="四川")
    client = client_for(org.admin)

    response = write(
        client,
        "post",
        "/api/v1/lead-scoring-rules/",
        {
            "name": "Sichuan",
            "kind": "field",
            "field": "province",
            "operator": "equals",
            "value": "四川",
            "points": 60,
        },
    )

    assert response.status_code == 201
    lead.refresh_from_db()
    assert (lead.score, lead.status) == (60, "qualified")


def test_scoring_rule_needs_a_field_and_an_operator(org):
    response = write(
        client_for(org.admin),
        "post",
        "/api/v1/lead-scoring-rules/",
        {"name": "Broken", "kind": "field", "points": 1},
    )

    assert response.status_code == 400
    assert "field" in response.json()


def test_threshold_endpoint_reads_and_writes_with_if_match(org):
    LeadScoringRule.objects.create(name="Any", field="person_name", operator="is_set", points=10)
    lead = make_lead(org.east_rep)
    client = client_for(org.admin)
    url = "/api/v1/lead-scoring-rules/settings/"

    read = client.get(url)
    missing = write(client, "patch", url, {"qualify_threshold": 10})
    written = write(client, "patch", url, {"qualify_threshold": 10}, etag=read["ETag"])
    stale = write(client, "patch", url, {"qualify_threshold": 5}, etag=read["ETag"])

    assert read.json()["qualify_threshold"] == 50
    assert missing.status_code == 428
    assert written.status_code == 200 and written.json()["qualify_threshold"] == 10
    assert stale.status_code == 412
    assert ScoringSettings.current().qualify_threshold == 10
    lead.refresh_from_db()
    assert lead.status == "qualified"


def test_many_open_leads_are_rescored_by_a_job(org, settings, django_capture_on_commit_callbacks):
    settings.GUANXI_RESCORE_INLINE_LIMIT = 2
    leads = [make_lead(org.east_rep, person_name=f"J{i}", province="四川") for i in range(3)]
    client = client_for(org.admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = write(
            client,
            "post",
            "/api/v1/lead-scoring-rules/",
            {
                "name": "Sichuan",
                "kind": "field",
                "field": "province",
                "operator": "equals",
                "value": "四川",
                "points": 3,
            },
        )

    job = Job.objects.get(pk=int(response["X-Guanxi-Job"]))
    assert (job.kind, job.status) == ("leads.rescore", "done")
    assert [Lead.objects.get(pk=lead.pk).score for lead in leads] == [3, 3, 3]


def test_assignment_rules_crud_with_version_check(org):
    client = client_for(org.admin)

    created = write(
        client,
        "post",
        "/api/v1/assignment-rules/",
        {"name": "West web", "team": org.west.pk, "sources": "web_form", "order": 5},
    )
    url = f"/api/v1/assignment-rules/{created.json()['id']}/"
    changed = write(client, "patch", url, {"method": "least_loaded"}, etag=created["ETag"])
    stale = write(client, "patch", url, {"method": "round_robin"}, etag=created["ETag"])
    bad = write(client, "patch", url, {"sources": "carrier_pigeon"}, etag=changed["ETag"])
    deleted = write(client, "delete", url, etag=changed["ETag"])

    assert created.status_code == 201
    assert changed.status_code == 200 and changed.json()["method"] == "least_loaded"
    assert stale.status_code == 412
    assert bad.status_code == 400 and "sources" in bad.json()
    assert deleted.status_code == 204
    assert not AssignmentRule.objects.exists()
    assert ChangeLogEntry.objects.filter(object_type="assignmentrule").count() == 3


def test_rep_availability_is_one_entry_per_rep(org):
    client = client_for(org.admin)
    url = "/api/v1/rep-availability/"

    created = write(client, "post", url, {"user": org.east_rep.pk, "max_open_leads": 10})
    again = write(client, "post", url, {"user": org.east_rep.pk, "max_open_leads": 3})
    bad = write(
        client,
        "patch",
        f"{url}{created.json()['id']}/",
        {"absent_from": "2026-12-10T09:00:00+08:00", "absent_until": "2026-12-01T09:00:00+08:00"},
        etag=created["ETag"],
    )

    assert created.status_code == 201
    assert again.status_code == 400 and "user" in again.json()
    assert bad.status_code == 400 and "absent_until" in bad.json()
    assert RepAvailability.objects.get().max_open_leads == 10


def test_web_form_api_gives_the_public_address_and_the_snippet(org):
    response = write(
        client_for(org.admin),
        "post",
        "/api/v1/web-forms/",
        {"name": "Expo", "source": "trade_show", "fields": ["mobile", "company"]},
    )

    body = response.json()
    web_form = WebForm.objects.get()
    assert response.status_code == 201
    assert body["fields"] == ["person_name", "mobile", "company"]
    assert body["public_url"] == f"http://testserver/f/{web_form.token}/"
    assert f'action="http://testserver/f/{web_form.token}/"' in body["embed_html"]


def test_web_form_refuses_private_fields(org):
    response = write(
        client_for(org.admin),
        "post",
        "/api/v1/web-forms/",
        {"name": "Sneaky", "fields": ["owner", "score"]},
    )

    assert response.status_code == 400
    assert "fields" in response.json()


def test_campaign_crud_with_cost(org):
    client = client_for(org.director)

    created = write(
        client,
        "post",
        "/api/v1/campaigns/",
        {"name": "春季展会", "status": "active", "cost": "50000.00", "currency": "CNY"},
    )
    url = f"/api/v1/campaigns/{created.json()['id']}/"
    bad = write(
        client,
        "patch",
        url,
        {"start_date": "2026-05-01", "end_date": "2026-04-01"},
        etag=created["ETag"],
    )
    changed = write(client, "patch", url, {"cost": "52000.00"}, etag=created["ETag"])

    assert created.status_code == 201
    assert bad.status_code == 400 and "end_date" in bad.json()
    assert changed.json()["cost"] == "52000.00"
    assert Campaign.objects.get().cost == Decimal("52000.00")


def test_leads_and_campaigns_are_found_by_the_global_search(org):
    make_lead(org.east_rep, person_name="欧阳娜娜")
    Campaign.objects.all().delete()
    from guanxi.marketing.services import create_campaign

    create_campaign(org.east_manager, {"name": "欧洲展会"})

    hits = client_for(org.east_manager).get("/api/v1/search/", {"q": "ouyang"}).json()
    campaign_hits = client_for(org.east_rep).get("/api/v1/search/", {"q": "ouzhou"}).json()

    assert [h["object_type"] for h in hits["results"]] == ["lead"]
    assert [h["object_type"] for h in campaign_hits["results"]] == ["campaign"]
