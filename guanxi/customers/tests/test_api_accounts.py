"""The accounts API: CRUD, ETag/If-Match, mass assignment, filters and the account actions."""

from __future__ import annotations

import pytest
from django.utils import timezone

from guanxi.core import services as core
from guanxi.core.api.testing import client_for, write
from guanxi.core.models import ChangeLogEntry, DeletedRecord, Note, Tag
from guanxi.core.validators import uscc_check_char
from guanxi.customers.models import Account, ClassTransition, Contact
from guanxi.customers.services import (
    change_relationship_class,
    create_account,
    create_contact,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounts/"


def valid_uscc(prefix: str = "91350100M000100Y") -> str:
    body = (prefix + "0")[:17]
    return body + uscc_check_char(body)


def detail(account: Account) -> str:
    return f"{URL}{account.pk}/"


# -- create -----------------------------------------------------------------------------------


def test_post_with_only_a_name_creates_a_company_owned_by_the_caller(org):
    client = client_for(org.east_rep)

    response = write(client, "post", URL, {"name": "华为技术有限公司"})

    assert response.status_code == 201
    account = Account.objects.get(pk=response.data["id"])
    assert account.kind == "company"
    assert account.owner == org.east_rep
    assert account.team == org.east
    assert response.data["owner"]["id"] == org.east_rep.pk
    assert response.data["name_pinyin"] == "huaweijishuyouxiangongsi"
    assert response["ETag"] == account.etag


def test_create_writes_the_change_log_with_the_request_id(org):
    client = client_for(org.east_rep)

    response = client.post(URL, {"name": "Acme"}, format="json", headers={"X-Request-ID": "r-42"})

    entry = ChangeLogEntry.objects.get(object_type="account", object_id=response.data["id"])
    assert (entry.action, entry.actor, entry.request_id) == ("create", org.east_rep, "r-42")


def test_unauthenticated_request_is_401(org):
    response = client_for(None).get(URL)

    assert response.status_code == 401


# -- read -------------------------------------------------------------------------------------


def test_get_returns_the_record_with_its_etag(org):
    account = create_account(org.east_rep, {"name": "Acme", "city": "Hangzhou"})

    response = client_for(org.east_rep).get(detail(account))

    assert response.status_code == 200
    assert response["ETag"] == account.etag == f'"account-{account.pk}-v1"'
    assert response.data["city"] == "Hangzhou"
    assert response.data["etag"] == account.etag


def test_get_with_the_current_etag_in_if_none_match_is_304(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = client_for(org.east_rep).get(
        detail(account), headers={"If-None-Match": account.etag}
    )

    assert response.status_code == 304


# -- ETag / If-Match --------------------------------------------------------------------------


def test_patch_without_if_match_is_428_and_changes_nothing(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(client_for(org.east_rep), "patch", detail(account), {"name": "New"})

    assert response.status_code == 428
    assert Account.objects.get(pk=account.pk).name == "Acme"


def test_patch_with_a_stale_etag_is_412_and_carries_the_current_etag(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    stale = account.etag
    client = client_for(org.east_rep)
    first = write(client, "patch", detail(account), {"city": "Beijing"}, etag=stale)

    second = write(client, "patch", detail(account), {"name": "Overwritten"}, etag=stale)

    assert first.status_code == 200
    assert second.status_code == 412
    current = Account.objects.get(pk=account.pk)
    assert second["ETag"] == current.etag == first["ETag"]
    assert (current.name, current.city) == ("Acme", "Beijing")


def test_patch_with_the_current_etag_applies_and_answers_the_new_etag(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(
        client_for(org.east_rep), "patch", detail(account), {"city": "Xi'an"}, etag=account.etag
    )

    assert response.status_code == 200
    assert response.data["city"] == "Xi'an"
    assert response.data["version"] == 2
    assert response["ETag"] == f'"account-{account.pk}-v2"'


@pytest.mark.parametrize(
    "header",
    ['W/"account-{pk}-v1"', "account-{pk}-v1", '"account-{pk}-v0", "account-{pk}-v1"'],
)
def test_if_match_accepts_weak_unquoted_and_listed_tags(org, header):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(
        client_for(org.east_rep),
        "patch",
        detail(account),
        {"city": "Wuhan"},
        etag=header.format(pk=account.pk),
    )

    assert response.status_code == 200


@pytest.mark.parametrize("header", ["*", '"contact-1-v1"', '"garbage"'])
def test_if_match_that_names_no_version_of_this_record_is_refused(org, header):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(client_for(org.east_rep), "patch", detail(account), {"city": "X"}, etag=header)

    assert response.status_code in (412, 428)
    assert Account.objects.get(pk=account.pk).city == ""


def test_put_replaces_the_editable_fields(org):
    account = create_account(org.east_rep, {"name": "Acme", "city": "Hangzhou"})

    response = write(
        client_for(org.east_rep),
        "put",
        detail(account),
        {"name": "Acme Group", "kind": "company"},
        etag=account.etag,
    )

    assert response.status_code == 200
    account.refresh_from_db()
    assert (account.name, account.city) == ("Acme Group", "Hangzhou")


def test_delete_without_if_match_is_428_and_keeps_the_record(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(client_for(org.east_rep), "delete", detail(account))

    assert response.status_code == 428
    assert Account.objects.filter(pk=account.pk).exists()


def test_delete_with_a_stale_etag_is_412(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    stale = account.etag
    core.update_record(org.east_rep, account, {"city": "X"}, expected_version=1)

    response = write(client_for(org.east_rep), "delete", detail(account), etag=stale)

    assert response.status_code == 412
    assert Account.objects.filter(pk=account.pk).exists()


def test_delete_with_if_match_moves_the_account_and_its_contacts_to_the_recycle_bin(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    create_contact(org.east_rep, {"name": "Li Lei", "account": account})
    client = client_for(org.east_rep)

    response = write(client, "delete", detail(account), etag=account.etag)

    assert response.status_code == 204
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Contact.objects.exists()
    assert DeletedRecord.objects.get().children == 1
    assert client.get(detail(account)).status_code == 404


# -- mass assignment --------------------------------------------------------------------------

PROTECTED_BODY = {
    "version": 99,
    "created_by": 1,
    "updated_by": 1,
    "created_at": "2001-01-01T00:00:00Z",
    "deleted_at": "2001-01-01T00:00:00Z",
    "name_pinyin": "hacked",
    "name_initials": "h",
    "search_tokens": "hacked",
    "last_activity_at": "2001-01-01T00:00:00Z",
    "id": 999999,
}


def test_create_ignores_protected_fields_in_the_body(org):
    body = {"name": "张三公司", **PROTECTED_BODY, "owner": org.west_rep.pk, "team": org.west.pk}

    response = write(client_for(org.east_rep), "post", URL, body)

    assert response.status_code == 201
    account = Account.all_objects.get(name="张三公司")
    assert account.pk != 999999
    assert (account.owner, account.team, account.version) == (org.east_rep, org.east, 1)
    assert (account.created_by, account.deleted_at) == (org.east_rep, None)
    assert (account.name_pinyin, account.name_initials) == ("zhangsangongsi", "zsgs")
    assert "hacked" not in account.search_tokens
    assert account.last_activity_at is None
    assert account.created_at.year > 2001


def test_update_ignores_protected_fields_in_the_body(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    body = {"city": "Suzhou", **PROTECTED_BODY, "owner": org.west_rep.pk, "team": org.west.pk}

    response = write(client_for(org.east_rep), "patch", detail(account), body, etag=account.etag)

    assert response.status_code == 200
    after = Account.all_objects.get(pk=account.pk)
    assert after.city == "Suzhou"
    assert (after.owner, after.team, after.version) == (org.east_rep, org.east, 2)
    assert (after.created_by, after.deleted_at, after.created_at) == (
        org.east_rep,
        None,
        account.created_at,
    )
    assert after.name_pinyin == "acme"
    assert "hacked" not in after.search_tokens


# -- 404, not 403 -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_teams_rep_gets_404_for_every_method(org, method):
    account = create_account(org.east_rep, {"name": "Secret"})

    response = write(
        client_for(org.west_rep), method, detail(account), {"name": "Mine"}, etag=account.etag
    )

    assert response.status_code == 404
    assert Account.objects.get(pk=account.pk).name == "Secret"


def test_404_for_an_invisible_record_matches_a_missing_one(org):
    account = create_account(org.east_rep, {"name": "Secret"})
    client = client_for(org.west_rep)

    invisible = client.get(detail(account))
    missing = client.get(f"{URL}{account.pk + 1000}/")

    assert invisible.status_code == missing.status_code == 404
    assert invisible.data == missing.data


def test_a_read_share_lets_read_but_a_write_is_403(org):
    account = create_account(org.east_rep, {"name": "Shared"})
    core.share_record(org.east_rep, account, user=org.west_rep, access="read")
    client = client_for(org.west_rep)

    read = client.get(detail(account))
    edit = write(client, "patch", detail(account), {"name": "X"}, etag=read["ETag"])

    assert read.status_code == 200
    assert edit.status_code == 403


# -- validation -------------------------------------------------------------------------------


def test_bad_tax_number_is_400_naming_the_field(org):
    response = write(
        client_for(org.east_rep), "post", URL, {"name": "Acme", "tax_number": "91350100M0001"}
    )

    assert response.status_code == 400
    assert list(response.data) == ["tax_number"]
    assert not Account.objects.exists()


def test_tax_number_with_a_wrong_check_character_is_400(org):
    good = valid_uscc()
    bad = good[:17] + ("1" if good[17] != "1" else "2")

    response = write(client_for(org.east_rep), "post", URL, {"name": "Acme", "tax_number": bad})

    assert response.status_code == 400
    assert "tax_number" in response.data


def test_each_invalid_field_is_named(org):
    response = write(
        client_for(org.east_rep),
        "post",
        URL,
        {"name": "", "email": "nope", "rating": 9, "relationship_class": "friend"},
    )

    assert response.status_code == 400
    assert set(response.data) == {"name", "email", "rating", "relationship_class"}


def test_disallowed_class_change_by_patch_is_400_naming_the_field(org):
    account = create_account(org.east_rep, {"name": "Acme"})  # potential

    response = write(
        client_for(org.east_rep),
        "patch",
        detail(account),
        {"relationship_class": "loyal"},
        etag=account.etag,
    )

    assert response.status_code == 400
    assert "relationship_class" in response.data
    assert Account.objects.get(pk=account.pk).version == 1


def test_parent_the_caller_cannot_see_is_refused_like_a_missing_one(org):
    hidden = create_account(org.west_rep, {"name": "Hidden"})

    response = write(client_for(org.east_rep), "post", URL, {"name": "Child", "parent": hidden.pk})

    assert response.status_code == 400
    assert "parent" in response.data
    assert "Hidden" not in str(response.data)


# -- list: filters, search, ordering, pagination ----------------------------------------------


def names(response):
    return [row["name"] for row in response.data["results"]]


def test_list_shows_only_visible_accounts_with_a_count(org):
    create_account(org.east_rep, {"name": "Mine"})
    create_account(org.west_rep, {"name": "Theirs"})

    response = client_for(org.east_rep).get(URL)

    assert response.data["count"] == 1
    assert names(response) == ["Mine"]


def test_list_filters_with_the_account_filterset(org):
    target = create_account(org.east_rep, {"name": "Target Co"})
    core.update_record(org.east_rep, target, {"relationship_class": "target"}, expected_version=1)
    create_account(org.east_rep, {"name": "Potential Co", "city": "Ningbo"})
    client = client_for(org.east_rep)

    by_class = client.get(URL, {"relationship_class": "target"})
    by_city = client.get(URL, {"city": "ningbo"})

    assert names(by_class) == ["Target Co"]
    assert names(by_city) == ["Potential Co"]


def test_list_filters_by_tag(org):
    vip = Tag.objects.create(name="vip")
    create_account(org.east_rep, {"name": "Tagged", "tags": [vip]})
    create_account(org.east_rep, {"name": "Plain"})

    response = client_for(org.east_rep).get(URL, {"tag": vip.pk})

    assert names(response) == ["Tagged"]


def test_invalid_filter_value_is_400_naming_the_filter(org):
    response = client_for(org.east_rep).get(URL, {"relationship_class": "friend"})

    assert response.status_code == 400
    assert "relationship_class" in response.data


def test_q_finds_by_pinyin_initials(org):
    create_account(org.east_rep, {"name": "张三贸易"})
    create_account(org.east_rep, {"name": "李四贸易"})

    response = client_for(org.east_rep).get(URL, {"q": "zs"})

    assert names(response) == ["张三贸易"]


def test_ordering_by_several_fields(org):
    for name in ("B", "A", "C"):
        create_account(org.east_rep, {"name": name})
    client = client_for(org.east_rep)

    descending = client.get(URL, {"ordering": "-name"})
    by_created = client.get(URL, {"ordering": "created_at,name"})

    assert names(descending) == ["C", "B", "A"]
    assert names(by_created) == ["B", "A", "C"]


def test_page_size_is_honoured_up_to_500(org):
    for i in range(3):
        create_account(org.east_rep, {"name": f"A{i}"})
    client = client_for(org.east_rep)

    page = client.get(URL, {"page_size": 2})
    capped = client.get(URL, {"page_size": 100000})

    assert (page.data["count"], len(page.data["results"])) == (3, 2)
    assert page.data["next"] is not None
    assert len(capped.data["results"]) == 3


def test_page_size_above_500_is_capped(org, settings):
    from guanxi.core.api.pagination import PageNumberPagination

    assert PageNumberPagination.max_page_size == 500


# -- actions ----------------------------------------------------------------------------------


def test_owner_changes_only_through_assign(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(
        client_for(org.east_manager),
        "post",
        f"{detail(account)}assign/",
        {"owner": org.east_rep2.pk},
    )

    assert response.status_code == 200
    account.refresh_from_db()
    assert (account.owner, account.team) == (org.east_rep2, org.east)
    assert response["ETag"] == account.etag


def test_a_rep_cannot_assign_to_someone_outside_their_teams(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(
        client_for(org.east_rep), "post", f"{detail(account)}assign/", {"owner": org.west_rep.pk}
    )

    assert response.status_code == 403
    assert Account.objects.get(pk=account.pk).owner == org.east_rep


def test_assign_with_a_stale_if_match_is_412(org):
    account = create_account(org.east_rep, {"name": "Acme"})
    stale = account.etag
    core.update_record(org.east_rep, account, {"city": "X"}, expected_version=1)

    response = write(
        client_for(org.east_manager),
        "post",
        f"{detail(account)}assign/",
        {"owner": org.east_rep2.pk},
        etag=stale,
    )

    assert response.status_code == 412


def test_bulk_assign_gives_editable_accounts_to_the_new_owner(org):
    mine = [create_account(org.east_rep, {"name": f"E{i}"}) for i in range(2)]
    theirs = create_account(org.west_rep, {"name": "W"})

    response = write(
        client_for(org.east_manager),
        "post",
        f"{URL}bulk-assign/",
        {"ids": [a.pk for a in mine] + [theirs.pk], "owner": org.east_rep2.pk},
    )

    assert response.status_code == 200
    assert response.data == {"updated": 2}
    assert set(Account.objects.filter(owner=org.east_rep2)) == set(mine)
    assert Account.objects.get(pk=theirs.pk).owner == org.west_rep


def test_bulk_assign_without_ids_is_400_naming_the_field(org):
    response = write(
        client_for(org.east_manager), "post", f"{URL}bulk-assign/", {"owner": org.east_rep.pk}
    )

    assert response.status_code == 400
    assert "ids" in response.data


def test_transition_moves_along_the_flow_and_records_it(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(
        client_for(org.east_rep),
        "post",
        f"{detail(account)}transition/",
        {"relationship_class": "target", "reason": "qualified"},
    )

    assert response.status_code == 200
    assert response.data["relationship_class"] == "target"
    move = ClassTransition.objects.filter(account=account).first()
    assert (move.from_class, move.to_class, move.actor, move.reason) == (
        "potential",
        "target",
        org.east_rep,
        "qualified",
    )


def test_transition_not_allowed_by_the_flow_is_400(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(
        client_for(org.east_rep),
        "post",
        f"{detail(account)}transition/",
        {"relationship_class": "loyal"},
    )

    assert response.status_code == 400
    assert "relationship_class" in response.data


def test_merge_moves_contacts_and_notes_and_bins_the_duplicate(org):
    survivor = create_account(org.east_rep, {"name": "Acme"})
    duplicate = create_account(org.east_rep, {"name": "ACME Ltd", "phone": "0571-88888888"})
    create_contact(org.east_rep, {"name": "Han Meimei", "account": duplicate})
    core.add_note(org.east_rep, duplicate, {"body": "met them"})

    response = write(
        client_for(org.east_rep),
        "post",
        f"{detail(survivor)}merge/",
        {"duplicate": duplicate.pk, "values_from_duplicate": ["phone"]},
    )

    assert response.status_code == 200
    assert response.data["phone"] == "0571-88888888"
    assert list(Contact.objects.values_list("account_id", flat=True)) == [survivor.pk]
    assert Note.objects.get().object_id == survivor.pk
    assert DeletedRecord.objects.get().object_id == duplicate.pk


def test_merge_with_itself_is_400_naming_duplicate(org):
    account = create_account(org.east_rep, {"name": "Acme"})

    response = write(
        client_for(org.east_rep), "post", f"{detail(account)}merge/", {"duplicate": account.pk}
    )

    assert response.status_code == 400
    assert "duplicate" in response.data


def test_merge_with_an_unknown_field_is_400(org):
    survivor = create_account(org.east_rep, {"name": "A"})
    duplicate = create_account(org.east_rep, {"name": "B"})

    response = write(
        client_for(org.east_rep),
        "post",
        f"{detail(survivor)}merge/",
        {"duplicate": duplicate.pk, "values_from_duplicate": ["owner_id", "version"]},
    )

    assert response.status_code == 400
    assert "values_from_duplicate" in response.data


def test_flow_counts_moves_between_classes_of_visible_accounts(org):
    for name in ("A", "B"):
        account = create_account(org.east_rep, {"name": name})
        change_relationship_class(org.east_rep, account, "target", expected_version=1)
    hidden = create_account(org.west_rep, {"name": "W"})
    change_relationship_class(org.west_rep, hidden, "target", expected_version=1)
    today = timezone.localdate().isoformat()

    response = client_for(org.east_rep).get(f"{URL}flow/", {"start": today, "end": today})

    assert response.status_code == 200
    assert response.data["moves"] == [
        {"from_class": "", "to_class": "potential", "count": 2},
        {"from_class": "potential", "to_class": "target", "count": 2},
    ]
    assert response.data["total_moves"] == 4
    assert response.data["at_end"]["target"] == 2
    assert response.data["at_start"]["target"] == 0


def test_flow_with_a_period_that_ends_before_it_starts_is_400(org):
    response = client_for(org.east_rep).get(
        f"{URL}flow/", {"start": "2025-02-01", "end": "2025-01-01"}
    )

    assert response.status_code == 400
    assert list(response.data) == ["start"]
