"""The public web form: a valid submit is an assigned lead within the request; robots, floods,
oversized bodies and bad values create nothing and get a clear page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core.models import Notification
from guanxi.leads import rules
from guanxi.leads.models import AssignmentRule, Lead, LeadBehaviour, LeadScoringRule
from guanxi.leads.webforms import HONEYPOT
from guanxi.marketing.services import create_campaign

pytestmark = pytest.mark.django_db

GOOD = {
    "person_name": "王小明",
    "company": "成都云图科技有限公司",
    "mobile": "13800138000",
    "email": "XM.Wang@yuntu.cn",
    "need": "需要一套CRM",
}


@pytest.fixture
def web_form(org):
    campaign = create_campaign(org.admin, {"name": "2026 春季展会"})
    return rules.create_web_form(
        org.admin,
        {
            "name": "Contact us",
            "source": "web_form",
            "campaign": campaign,
            "fields": ["company", "mobile", "email", "need"],
            "thank_you_message": "谢谢！我们会尽快联系您。",
        },
    )


@pytest.fixture
def url(web_form):
    return reverse("webforms:submit", args=[web_form.token])


def post(client, url, data, ip="203.0.113.7", **extra):
    return client.post(url, data, REMOTE_ADDR=ip, **extra)


def test_form_page_shows_the_chosen_fields_and_a_hidden_honeypot(client, url):
    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    for name in ("person_name", "company", "mobile", "email", "need"):
        assert f'name="{name}"' in html
    assert 'name="budget"' not in html
    assert f'name="{HONEYPOT}"' in html and "gx-hp" in html
    assert "X-Frame-Options" not in response  # the iframe alternative must be allowed


def test_valid_submit_creates_an_assigned_scored_lead_within_the_request(client, org, url):
    # given a rule routing every lead to East and a rule rewarding form submits
    AssignmentRule.objects.create(name="All to East", team=org.east)
    LeadScoringRule.objects.create(
        name="Filled the form", kind="behaviour", behaviour="form_submit", points=10
    )

    # when someone submits the form (cross-site: no CSRF token)
    client.handler.enforce_csrf_checks = True
    response = post(client, url, GOOD)

    # then the thank-you page answers and the lead exists, owned by an East rep
    assert response.status_code == 200
    assert "谢谢！我们会尽快联系您。" in response.content.decode()
    lead = Lead.objects.get()
    assert lead.person_name == "王小明"
    assert lead.email == "xm.wang@yuntu.cn"
    assert lead.owner in (org.east_rep, org.east_rep2)
    assert lead.team == org.east
    assert lead.assigned_at is not None
    assert lead.source == "web_form" and lead.campaign.name == "2026 春季展会"
    assert lead.web_form.name == "Contact us"
    assert lead.score == 10
    assert list(LeadBehaviour.objects.values_list("kind", flat=True)) == ["form_submit"]
    assert Notification.objects.filter(user=lead.owner).count() == 1


def test_filled_honeypot_answers_thank_you_but_creates_nothing(client, url):
    response = post(client, url, {**GOOD, HONEYPOT: "http://spam.example"})

    assert response.status_code == 200
    assert "谢谢" in response.content.decode()
    assert Lead.all_objects.count() == 0


def test_sixth_submit_in_a_minute_from_one_address_is_429(client, url):
    answers = [post(client, url, {**GOOD, "mobile": f"1380013800{i}"}) for i in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert "Too many submissions" in answers[-1].content.decode()
    assert Lead.objects.count() == 5


def test_another_address_is_not_limited_by_the_first(client, url):
    for i in range(5):
        post(client, url, {**GOOD, "mobile": f"1380013800{i}"})

    response = post(client, url, GOOD, ip="198.51.100.9")

    assert response.status_code == 200


def test_daily_limit_per_address(client, url, settings):
    settings.GUANXI_WEBFORM_RATE = (100, 3)
    answers = [post(client, url, GOOD).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


def test_oversized_body_is_400_and_creates_nothing(client, url):
    response = post(client, url, {**GOOD, "need": "x" * 11_000})

    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert Lead.all_objects.count() == 0


def test_field_over_its_length_is_listed_with_400(client, url):
    response = post(client, url, {**GOOD, "company": "公" * 201})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="form-errors"' in html
    assert "Company" in html and "at most 200 characters" in html
    assert Lead.all_objects.count() == 0


def test_bad_mobile_shows_the_error_and_keeps_the_values(client, url):
    response = post(client, url, {**GOOD, "mobile": "12345"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter a mainland China mobile number" in html
    assert "成都云图科技有限公司" in html  # what was typed is still there
    assert Lead.all_objects.count() == 0


def test_a_way_to_reach_the_person_is_required(client, url):
    response = post(client, url, {"person_name": "No contact"})

    assert response.status_code == 400
    assert "at least one way to reach you" in response.content.decode()
    assert Lead.all_objects.count() == 0


def test_redirect_url_is_followed_after_a_submit(client, org, web_form, url):
    rules.update_web_form(
        org.admin,
        web_form,
        {"redirect_url": "https://www.example.cn/thanks"},
        expected_version=web_form.version,
    )

    response = post(client, url, GOOD)

    assert response.status_code == 302
    assert response["Location"] == "https://www.example.cn/thanks"
    assert Lead.objects.count() == 1


def test_inactive_or_unknown_form_is_404(client, org, web_form, url):
    rules.update_web_form(org.admin, web_form, {"is_active": False}, expected_version=1)

    assert client.get(url).status_code == 404
    assert post(client, url, GOOD).status_code == 404
    assert client.get(reverse("webforms:submit", args=["no-such-token"])).status_code == 404
    assert Lead.all_objects.count() == 0


def test_pages_follow_the_browsers_language(client, url):
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hans")

    assert page["Content-Language"] == "zh-hans"
    assert "Accept-Language" in page["Vary"]


def test_form_fields_not_on_the_form_are_ignored(client, url):
    post(client, url, {**GOOD, "status": "converted", "owner": "1", "score": "999"})

    lead = Lead.objects.get()
    assert (lead.status, lead.score) == ("new", 0)


def test_lead_without_matching_rule_waits_without_owner_and_admin_sees_it(client, org, url):
    post(client, url, GOOD)

    lead = Lead.objects.get()
    assert lead.owner is None
    assert lead in Lead.objects.visible_to(org.admin)


def test_client_address_behind_trusted_proxy(rf, settings):
    from guanxi.leads.webforms import client_address

    request = rf.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.2")
    assert client_address(request) == "10.0.0.1"
    settings.GUANXI_TRUSTED_PROXIES = 1
    assert client_address(request) == "10.0.0.2"
    settings.GUANXI_TRUSTED_PROXIES = 2
    assert client_address(request) == "198.51.100.1"
