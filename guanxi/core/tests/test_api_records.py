"""Core record endpoints: timeline, history, recycle bin, shares and global search."""

from __future__ import annotations

import pytest

from guanxi.core import services as core
from guanxi.core.api.testing import client_for, write
from guanxi.core.models import DeletedRecord, Note, RecordShare
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import create_account, create_contact, update_account

pytestmark = pytest.mark.django_db


# -- timeline ---------------------------------------------------------------------------------


def test_create_note_on_a_visible_account(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(
        client_for(org.east_rep),
        "post",
        "/api/v1/notes/",
        {"object_type": "account", "object_id": account.pk, "kind": "call", "body": "Called"},
    )

    assert response.status_code == 201
    note = Note.objects.get()
    assert (note.target, note.kind, note.created_by) == (account, "call", org.east_rep)
    assert (response.data["object_type"], response.data["object_id"]) == ("account", account.pk)
    assert response["ETag"] == note.etag


def test_note_on_a_record_the_caller_cannot_see_is_400_naming_object_id(org):
    hidden = create_account(org.west_rep, {"name": "Hidden"})

    response = write(
        client_for(org.east_rep),
        "post",
        "/api/v1/notes/",
        {"object_type": "account", "object_id": hidden.pk, "body": "x"},
    )

    assert response.status_code == 400
    assert list(response.data) == ["object_id"]
    assert not Note.objects.exists()


def test_note_on_an_unknown_object_type_is_400_naming_it(org):
    response = write(
        client_for(org.east_rep),
        "post",
        "/api/v1/notes/",
        {"object_type": "user", "object_id": org.east_rep.pk, "body": "x"},
    )

    assert response.status_code == 400
    assert list(response.data) == ["object_type"]


def test_notes_filter_by_object_type_and_id_newest_first(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    other = create_account(org.east_rep, {"name": "Other"})
    core.add_note(org.east_rep, account, {"body": "old", "occurred_at": "2025-01-01T10:00Z"})
    core.add_note(org.east_rep, account, {"body": "new", "occurred_at": "2025-02-01T10:00Z"})
    core.add_note(org.east_rep, other, {"body": "elsewhere"})

    response = client_for(org.east_rep).get(
        "/api/v1/notes/", {"object_type": "account", "object_id": account.pk}
    )

    assert [row["body"] for row in response.data["results"]] == ["new", "old"]


def test_account_timeline_includes_its_contacts_entries(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    contact = create_contact(org.east_rep, {"name": "Li", "account": account})
    elsewhere = create_contact(org.east_rep, {"name": "Solo"})
    core.add_note(org.east_rep, account, {"body": "on account"})
    core.add_note(org.east_rep, contact, {"body": "on contact"})
    core.add_note(org.east_rep, elsewhere, {"body": "not here"})

    response = client_for(org.east_rep).get("/api/v1/notes/", {"account": account.pk})

    assert sorted(row["body"] for row in response.data["results"]) == ["on account", "on contact"]


def test_notes_on_invisible_records_are_not_listed(org):
    hidden = create_account(org.west_rep, {"name": "Hidden"})
    core.add_note(org.west_rep, hidden, {"body": "secret"})

    response = client_for(org.east_rep).get("/api/v1/notes/", {"account": hidden.pk})

    assert response.data["count"] == 0


def test_note_edit_needs_if_match_and_keeps_its_target(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    other = create_account(org.east_rep, {"name": "Other"})
    note = core.add_note(org.east_rep, account, {"body": "draft"})
    client = client_for(org.east_rep)
    url = f"/api/v1/notes/{note.pk}/"

    without = write(client, "patch", url, {"body": "final"})
    response = write(client, "patch", url, {"body": "final", "object_id": other.pk}, etag=note.etag)

    assert without.status_code == 428
    assert response.status_code == 200
    note.refresh_from_db()
    assert (note.body, note.object_id, note.version) == ("final", account.pk, 2)


def test_note_delete_with_if_match(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    note = core.add_note(org.east_rep, account, {"body": "x"})

    response = write(
        client_for(org.east_rep), "delete", f"/api/v1/notes/{note.pk}/", etag=note.etag
    )

    assert response.status_code == 204
    assert not Note.objects.exists()


# -- history ----------------------------------------------------------------------------------


def test_changes_list_a_records_history_newest_first(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    client = client_for(org.east_rep)
    write(
        client,
        "patch",
        f"/api/v1/accounts/{account.pk}/",
        {"city": "Hangzhou"},
        etag=account.etag,
    )

    response = client.get("/api/v1/changes/", {"object_type": "account", "object_id": account.pk})

    assert response.status_code == 200
    rows = response.data["results"]
    assert [row["action"] for row in rows] == ["update", "create"]
    assert rows[0]["changes"]["city"] == ["", "Hangzhou"]
    assert rows[0]["actor"]["id"] == org.east_rep.pk
    assert rows[0]["request_id"]
    assert rows[0]["at"]


def test_changes_include_the_contacts_of_an_account(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    create_contact(org.east_rep, {"name": "Li", "account": account})

    response = client_for(org.east_rep).get(
        "/api/v1/changes/", {"object_type": "account", "object_id": account.pk}
    )

    assert {row["object_type"] for row in response.data["results"]} == {"account", "contact"}


def test_changes_of_a_record_the_caller_cannot_see_are_404(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = client_for(org.west_rep).get(
        "/api/v1/changes/", {"object_type": "account", "object_id": account.pk}
    )

    assert response.status_code == 404


def test_changes_without_a_record_is_400_naming_the_parameters(org):
    response = client_for(org.east_rep).get("/api/v1/changes/")

    assert response.status_code == 400
    assert set(response.data) == {"object_type", "object_id"}


def test_changes_of_users_are_for_administrators_only(org):
    client_admin = client_for(org.admin)
    write(
        client_admin,
        "patch",
        f"/api/v1/users/{org.east_rep.pk}/",
        {"first_name": "Lei"},
        etag=f'"user-{org.east_rep.pk}-v1"',
    )
    params = {"object_type": "user", "object_id": org.east_rep.pk}

    as_admin = client_admin.get("/api/v1/changes/", params)
    as_rep = client_for(org.east_rep).get("/api/v1/changes/", params)

    assert as_admin.data["results"][0]["changes"]["first_name"] == ["", "Lei"]
    assert as_rep.status_code == 404


# -- recycle bin ------------------------------------------------------------------------------


def test_recycle_bin_restore_brings_back_the_account_with_its_contacts(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    create_contact(org.east_rep, {"name": "Li", "account": account})
    create_contact(org.east_rep, {"name": "Wang", "account": account})
    client = client_for(org.east_rep)
    write(client, "delete", f"/api/v1/accounts/{account.pk}/", etag=account.etag)
    listing = client.get("/api/v1/recycle-bin/")
    entry = listing.data["results"][0]

    response = write(client, "post", f"/api/v1/recycle-bin/{entry['id']}/restore/")

    assert (entry["object_type"], entry["object_id"], entry["children"]) == (
        "account",
        account.pk,
        2,
    )
    assert entry["expires_at"]
    assert response.status_code == 200
    assert (response.data["object_type"], response.data["id"]) == ("account", account.pk)
    assert Account.objects.filter(pk=account.pk).exists()
    assert Contact.objects.filter(account=account).count() == 2
    assert not DeletedRecord.objects.exists()
    assert client.get(f"/api/v1/accounts/{account.pk}/")["ETag"] == response["ETag"]


def test_recycle_bin_shows_another_teams_entries_to_nobody_but_their_managers(org):
    account = create_account(org.west_rep, {"name": "West"})
    core.delete_record(org.west_rep, account, expected_version=1)
    entry = DeletedRecord.objects.get()

    as_east = client_for(org.east_rep)
    listing = as_east.get("/api/v1/recycle-bin/")
    restore = write(as_east, "post", f"/api/v1/recycle-bin/{entry.pk}/restore/")
    as_director = client_for(org.director).get("/api/v1/recycle-bin/")

    assert listing.data["count"] == 0
    assert restore.status_code == 404
    assert as_director.data["count"] == 1
    assert not Account.objects.exists()


# -- shares -----------------------------------------------------------------------------------


def test_sharing_through_the_api_opens_the_record_to_the_user(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    body = {"object_type": "account", "object_id": account.pk, "user": org.west_rep.pk}

    response = write(client_for(org.east_rep), "post", "/api/v1/shares/", body | {"access": "read"})

    assert response.status_code == 201
    assert client_for(org.west_rep).get(f"/api/v1/accounts/{account.pk}/").status_code == 200


def test_shares_of_a_record_are_listed_and_removable(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    share = core.share_record(org.east_rep, account, team=org.west, access="edit")
    client = client_for(org.east_rep)

    listing = client.get("/api/v1/shares/", {"object_type": "account", "object_id": account.pk})
    removed = write(client, "delete", f"/api/v1/shares/{share.pk}/")

    assert [(row["team"], row["access"]) for row in listing.data["results"]] == [
        (org.west.pk, "edit")
    ]
    assert removed.status_code == 204
    assert not RecordShare.objects.exists()


def test_sharing_a_record_the_caller_cannot_see_is_400_naming_object_id(org):
    hidden = create_account(org.west_rep, {"name": "Hidden"})

    response = write(
        client_for(org.east_rep),
        "post",
        "/api/v1/shares/",
        {
            "object_type": "account",
            "object_id": hidden.pk,
            "user": org.east_rep.pk,
            "access": "edit",
        },
    )

    assert response.status_code == 400
    assert list(response.data) == ["object_id"]
    assert not RecordShare.objects.exists()


def test_sharing_with_read_access_only_cannot_reshare(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    core.share_record(org.east_rep, account, user=org.west_rep, access="read")

    response = write(
        client_for(org.west_rep),
        "post",
        "/api/v1/shares/",
        {"object_type": "account", "object_id": account.pk, "team": org.west.pk, "access": "edit"},
    )

    assert response.status_code == 403


def test_shares_of_invisible_records_are_not_listed(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    core.share_record(org.east_rep, account, user=org.east_rep2, access="read")

    response = client_for(org.west_rep).get("/api/v1/shares/")

    assert response.data["count"] == 0


# -- search -----------------------------------------------------------------------------------


@pytest.fixture
def zhangsan(org):
    account = create_account(org.east_rep, {"name": "上海星辰机械有限公司"})
    return create_contact(
        org.east_rep, {"name": "张三", "account": account, "mobile": "13800138000"}
    )


@pytest.mark.parametrize("query", ["zs", "zhangsan", "张"])
def test_search_finds_zhangsan_by_initials_pinyin_and_character(org, zhangsan, query):
    response = client_for(org.east_rep).get("/api/v1/search/", {"q": query})

    assert response.status_code == 200
    hit = next(h for h in response.data["results"] if h["title"] == "张三")
    assert (hit["object_type"], hit["id"]) == ("contact", zhangsan.pk)
    assert hit["subtitle"].startswith("上海星辰机械有限公司")
    assert hit["url"] == zhangsan.get_absolute_url()
    assert isinstance(hit["rank"], float)


def test_search_does_not_find_what_the_caller_may_not_see(org, zhangsan):
    response = client_for(org.west_rep).get("/api/v1/search/", {"q": "zs"})

    assert response.data["count"] == 0
    assert response.data["results"] == []


def test_search_ranks_and_can_be_limited_to_types(org, zhangsan):
    client = client_for(org.east_rep)

    both = client.get("/api/v1/search/", {"q": "xingchen"})
    contacts_only = client.get("/api/v1/search/", {"q": "xingchen", "types": "contact"})

    assert [h["object_type"] for h in both.data["results"]] == ["account"]
    assert contacts_only.data["results"] == []
    ranks = [h["rank"] for h in client.get("/api/v1/search/", {"q": "z"}).data["results"]]
    assert ranks == sorted(ranks, reverse=True)


def test_search_without_q_is_400_naming_q(org):
    response = client_for(org.east_rep).get("/api/v1/search/")

    assert response.status_code == 400
    assert list(response.data) == ["q"]


def test_search_after_delete_finds_nothing(org, zhangsan):
    account = zhangsan.account
    update_account(org.east_rep, account, {"city": "Shanghai"}, expected_version=1)
    core.delete_record(org.east_rep, Account.objects.get(pk=account.pk), expected_version=2)

    response = client_for(org.east_rep).get("/api/v1/search/", {"q": "zs"})

    assert response.data["count"] == 0
