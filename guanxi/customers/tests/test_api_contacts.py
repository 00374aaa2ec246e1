"""The contacts API: CRUD through the services, validation, consent and access by account."""

from __future__ import annotations

import pytest

from guanxi.core import services as core
from guanxi.core.api.testing import client_for, write
from guanxi.customers.models import ConsentRecord, Contact
from guanxi.customers.services import create_account, create_contact

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def detail(contact: Contact) -> str:
    return f"{URL}{contact.pk}/"


def test_create_contact_at_a_visible_account(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(
        client_for(org.east_rep),
        "post",
        URL,
        {"name": "王芳", "account": account.pk, "mobile": "+86 138-0013-8000", "title": "CTO"},
    )

    assert response.status_code == 201
    contact = Contact.objects.get()
    assert (contact.account, contact.owner, contact.mobile) == (
        account,
        org.east_rep,
        "13800138000",
    )
    assert response.data["account_name"] == "Acme"
    assert response["ETag"] == contact.etag


def test_contact_without_an_account_shows_a_null_account(org):
    response = write(client_for(org.east_rep), "post", URL, {"name": "Solo"})

    assert response.status_code == 201
    assert (response.data["account"], response.data["account_name"]) == (None, None)


def test_bad_mobile_is_400_naming_the_field(org):
    response = write(client_for(org.east_rep), "post", URL, {"name": "X", "mobile": "12345"})

    assert response.status_code == 400
    assert list(response.data) == ["mobile"]
    assert not Contact.objects.exists()


def test_account_the_caller_cannot_see_is_refused_like_a_missing_one(org):
    hidden = create_account(org.west_rep, {"name": "Hidden"})
    client = client_for(org.east_rep)

    invisible = write(client, "post", URL, {"name": "X", "account": hidden.pk})
    missing = write(client, "post", URL, {"name": "X", "account": hidden.pk + 1000})

    assert invisible.status_code == missing.status_code == 400
    assert list(invisible.data) == ["account"]
    assert str(invisible.data["account"]).replace(str(hidden.pk), "") == str(
        missing.data["account"]
    ).replace(str(hidden.pk + 1000), "")


def test_patch_with_if_match_updates_and_answers_the_new_etag(org):
    contact = create_contact(org.east_rep, {"name": "Li"})

    response = write(
        client_for(org.east_rep), "patch", detail(contact), {"title": "CEO"}, etag=contact.etag
    )

    assert response.status_code == 200
    assert response["ETag"] == f'"contact-{contact.pk}-v2"'
    assert Contact.objects.get().title == "CEO"


def test_patch_without_if_match_is_428(org):
    contact = create_contact(org.east_rep, {"name": "Li"})

    response = write(client_for(org.east_rep), "patch", detail(contact), {"title": "CEO"})

    assert response.status_code == 428


def test_consent_cannot_be_set_through_the_record(org):
    contact = create_contact(org.east_rep, {"name": "Li"})

    response = write(
        client_for(org.east_rep),
        "patch",
        detail(contact),
        {"consent_email": "granted", "owner": org.west_rep.pk, "version": 7},
        etag=contact.etag,
    )

    assert response.status_code == 200
    after = Contact.objects.get()
    assert (after.consent_email, after.owner, after.version) == ("", org.east_rep, 1)


def test_consent_action_records_when_and_how(org):
    contact = create_contact(org.east_rep, {"name": "Li"})

    response = write(
        client_for(org.east_rep),
        "post",
        f"{detail(contact)}consent/",
        {"channel": "email", "status": "granted", "method": "web_form", "note": "newsletter"},
    )

    assert response.status_code == 201
    record = ConsentRecord.objects.get()
    assert (record.channel, record.status, record.method, record.recorded_by) == (
        "email",
        "granted",
        "web_form",
        org.east_rep,
    )
    after = Contact.objects.get()
    assert after.consent_email == "granted"
    assert response["ETag"] == after.etag


def test_consent_on_an_unknown_channel_is_400_naming_it(org):
    contact = create_contact(org.east_rep, {"name": "Li"})

    response = write(
        client_for(org.east_rep),
        "post",
        f"{detail(contact)}consent/",
        {"channel": "pigeon", "status": "granted", "method": "verbal"},
    )

    assert response.status_code == 400
    assert list(response.data) == ["channel"]


def test_contacts_of_a_visible_account_are_visible_with_it(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    create_contact(org.admin, {"name": "Colleague's", "account": account}, owner=org.east_rep2)

    response = client_for(org.east_rep).get(URL)

    assert [row["name"] for row in response.data["results"]] == ["Colleague's"]


def test_list_filters_by_account_and_q(org):
    one = create_account(org.east_rep, {"name": "One"})
    two = create_account(org.east_rep, {"name": "Two"})
    create_contact(org.east_rep, {"name": "张三", "account": one})
    create_contact(org.east_rep, {"name": "李四", "account": two})
    client = client_for(org.east_rep)

    by_account = client.get(URL, {"account": two.pk})
    by_pinyin = client.get(URL, {"q": "zhangsan"})

    assert [row["name"] for row in by_account.data["results"]] == ["李四"]
    assert [row["name"] for row in by_pinyin.data["results"]] == ["张三"]


def test_invisible_contact_is_404_for_get_patch_and_delete(org):
    contact = create_contact(org.east_rep, {"name": "Li"})
    client = client_for(org.west_rep)

    codes = [
        client.get(detail(contact)).status_code,
        write(client, "patch", detail(contact), {"title": "X"}, etag=contact.etag).status_code,
        write(client, "delete", detail(contact), etag=contact.etag).status_code,
        write(client, "post", f"{detail(contact)}consent/", {}).status_code,
    ]

    assert codes == [404, 404, 404, 404]


def test_delete_with_if_match_sends_the_contact_to_the_recycle_bin(org):
    contact = create_contact(org.east_rep, {"name": "Li"})

    response = write(client_for(org.east_rep), "delete", detail(contact), etag=contact.etag)

    assert response.status_code == 204
    assert not Contact.objects.exists()
    assert Contact.all_objects.get().deleted_at is not None


def test_assign_contact_to_a_team_member_by_the_manager(org):
    contact = create_contact(org.east_rep, {"name": "Li"})

    response = write(
        client_for(org.east_manager),
        "post",
        f"{detail(contact)}assign/",
        {"owner": org.east_rep2.pk},
    )

    assert response.status_code == 200
    assert Contact.objects.get().owner == org.east_rep2


def test_shared_edit_lets_another_team_edit(org):
    contact = create_contact(org.east_rep, {"name": "Li"})
    core.share_record(org.east_rep, contact, user=org.west_rep, access="edit")

    response = write(
        client_for(org.west_rep), "patch", detail(contact), {"title": "VP"}, etag=contact.etag
    )

    assert response.status_code == 200
