"""Contact pages: list filters, detail with consent per channel, timeline, edit."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.urls import reverse

from guanxi.core import services as core
from guanxi.core.models import Note
from guanxi.customers.models import ConsentRecord, Contact
from guanxi.customers.services import create_account, create_contact, record_consent

pytestmark = pytest.mark.django_db

LIST = reverse("customers:contact-list")


def names_in(response) -> list[str]:
    html = response.content.decode()
    table = html[html.index('id="object-list"') :]
    found = re.findall(r'<a href="/customers/contacts/\d+/" class="fw-medium">([^<]+)</a>', table)
    return [html_lib.unescape(name) for name in found]


@pytest.fixture
def rep_client(client, org):
    client.force_login(org.east_rep)
    return client


def test_contact_list_filters_by_account_and_buying_role(rep_client, org):
    acme = create_account(org.east_rep, {"name": "Acme"})
    other = create_account(org.east_rep, {"name": "Other"})
    create_contact(org.east_rep, {"name": "Boss", "account": acme, "buying_role": "decision_maker"})
    create_contact(org.east_rep, {"name": "User", "account": acme, "buying_role": "user"})
    create_contact(org.east_rep, {"name": "Elsewhere", "account": other})

    assert names_in(rep_client.get(LIST, {"account": acme.pk})) == ["Boss", "User"]
    assert names_in(rep_client.get(LIST, {"buying_role": "decision_maker"})) == ["Boss"]


def test_contact_list_filters_by_account_classification_and_city(rep_client, org):
    loyal = create_account(
        org.east_rep, {"name": "Loyal Co", "relationship_class": "potential", "city": "杭州"}
    )
    create_contact(org.east_rep, {"name": "In Hangzhou", "account": loyal})
    create_contact(org.east_rep, {"name": "Alone"})

    assert names_in(rep_client.get(LIST, {"city": "杭州"})) == ["In Hangzhou"]
    assert names_in(rep_client.get(LIST, {"relationship_class": "potential"})) == ["In Hangzhou"]


def test_contact_list_filters_by_consent(rep_client, org):
    yes = create_contact(org.east_rep, {"name": "Yes"})
    create_contact(org.east_rep, {"name": "No"})
    record_consent(org.east_rep, yes, "email", "granted", "web_form")

    assert names_in(rep_client.get(LIST, {"consent_email": "granted"})) == ["Yes"]


def test_contact_list_search_by_mobile_tail(rep_client, org):
    create_contact(org.east_rep, {"name": "张三", "mobile": "13812345678"})
    create_contact(org.east_rep, {"name": "李四", "mobile": "13900001111"})

    assert names_in(rep_client.get(LIST, {"q": "5678"})) == ["张三"]


def test_contact_detail_shows_consent_per_channel_with_history(rep_client, org):
    contact = create_contact(org.east_rep, {"name": "张三"})
    record_consent(org.east_rep, contact, "email", "granted", "web_form", note="newsletter")
    record_consent(org.east_rep, contact, "sms", "withdrawn", "verbal")

    html = rep_client.get(contact.get_absolute_url()).content.decode()

    status = html[html.index('id="consent-status"') :]
    assert re.search(r'data-channel="email">.*?Granted', status, re.S)
    assert re.search(r'data-channel="sms">.*?Withdrawn', status, re.S)
    assert re.search(r'data-channel="phone">.*?Not asked', status, re.S)
    history = html[html.index('id="consent-history"') :]
    assert "Web form" in history and "newsletter" in history and str(org.east_rep) in history


def test_record_consent_through_the_form(rep_client, org):
    contact = create_contact(org.east_rep, {"name": "张三"})

    response = rep_client.post(
        reverse("customers:contact-consent", args=[contact.pk]),
        {"channel": "phone", "status": "granted", "method": "verbal", "note": "on the phone"},
    )

    contact.refresh_from_db()
    record = ConsentRecord.objects.get()
    assert response.status_code == 302
    assert contact.consent_phone == "granted"
    assert (record.method, record.recorded_by) == ("verbal", org.east_rep)


def test_record_consent_with_bad_channel_shows_error(rep_client, org):
    contact = create_contact(org.east_rep, {"name": "张三"})

    response = rep_client.post(
        reverse("customers:contact-consent", args=[contact.pk]),
        {"channel": "wechat", "status": "granted", "method": "verbal"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_consent_form_not_offered_to_who_cannot_edit(client, org):
    contact = create_contact(org.west_rep, {"name": "张三"})
    core.share_record(org.west_rep, contact, user=org.east_rep, access="read")
    client.force_login(org.east_rep)

    html = client.get(contact.get_absolute_url()).content.decode()
    response = client.post(
        reverse("customers:contact-consent", args=[contact.pk]),
        {"channel": "email", "status": "granted", "method": "verbal"},
    )

    assert 'id="consent-form"' not in html
    assert response.status_code == 403


def test_contact_timeline_add_and_show(rep_client, org):
    contact = create_contact(org.east_rep, {"name": "张三"})

    rep_client.post(
        reverse("customers:contact-timeline", args=[contact.pk]),
        {"kind": "call", "subject": "Asked for a quote", "occurred_at": "2026-03-01T09:00"},
    )

    html = rep_client.get(contact.get_absolute_url(), {"tab": "timeline"}).content.decode()
    assert Note.objects.get().object_id == contact.pk
    assert "Asked for a quote" in html


def test_create_contact_at_account(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = rep_client.post(
        reverse("customers:contact-create"),
        {"name": "王五", "account": account.pk, "mobile": "+86 138 1234 5678", "email": "W@X.CN"},
    )

    contact = Contact.objects.get()
    assert response.status_code == 302
    assert (contact.account, contact.mobile, contact.email) == (account, "13812345678", "w@x.cn")


def test_create_contact_at_invisible_account_is_refused(rep_client, org):
    hidden = create_account(org.west_rep, {"name": "Hidden"})

    response = rep_client.post(
        reverse("customers:contact-create"), {"name": "王五", "account": hidden.pk}
    )

    assert response.status_code == 200
    assert 'id="field-account"' in response.content.decode()
    assert not Contact.objects.exists()


def test_contact_edit_conflict_shows_both_values(client, org):
    contact = create_contact(org.east_rep, {"name": "王五", "title": "Buyer"})
    client.force_login(org.east_rep)
    url = reverse("customers:contact-edit", args=[contact.pk])
    page = client.get(url).content.decode()
    base = re.search(r'name="base" value="([^"]+)"', page).group(1)
    from guanxi.customers.services import update_contact

    update_contact(org.east_manager, contact, {"title": "Head of purchasing"}, expected_version=1)
    response = client.post(
        url, {"name": "王五", "title": "CFO", "version": 1, "base": base, "tags": []}
    )

    html = response.content.decode()
    contact.refresh_from_db()
    assert response.status_code == 409
    assert contact.title == "Head of purchasing"
    assert '<td class="conflict-mine">CFO</td>' in html
    assert '<td class="conflict-theirs">Head of purchasing</td>' in html
