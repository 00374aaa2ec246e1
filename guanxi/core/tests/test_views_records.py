"""Home, search, history, shares and the recycle bin pages, each scoped by record access."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from guanxi.core import services as core
from guanxi.core.models import DeletedRecord, RecordShare
from guanxi.core.tasks import purge_recycle_bin
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import (
    create_account,
    create_contact,
    delete_account,
    delete_contact,
    update_account,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rep_client(client, org):
    client.force_login(org.east_rep)
    return client


# -- home ------------------------------------------------------------------------------------


def test_home_counts_only_what_the_user_may_see(rep_client, org):
    create_account(org.east_rep, {"name": "Mine 1"})
    create_account(org.east_rep, {"name": "Mine 2"})
    create_account(org.west_rep, {"name": "Theirs"})
    response = rep_client.get(reverse("home"))
    assert response.status_code == 200
    counts = {row["object_type"]: row for row in response.context["counts"]}
    assert counts["account"]["mine"] == 2
    assert counts["account"]["visible"] == 2
    names = [str(obj) for obj in response.context["recent"]]
    assert "Theirs" not in names
    assert set(names) == {"Mine 1", "Mine 2"}


def test_home_lists_my_recent_timeline_entries_with_their_record(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    core.add_note(org.east_rep, account, {"subject": "Called the buyer", "kind": "call"})
    response = rep_client.get(reverse("home"))
    notes = response.context["notes"]
    assert [n.subject for n in notes] == ["Called the buyer"]
    assert notes[0].target_record == account
    assert "Called the buyer" in response.content.decode()


# -- search ----------------------------------------------------------------------------------


def test_search_page_finds_by_pinyin_initials_within_visibility(rep_client, org):
    create_account(org.east_rep, {"name": "张三贸易"})
    create_account(org.west_rep, {"name": "张三物流"})
    response = rep_client.get(reverse("search"), {"q": "zs"})
    assert response.status_code == 200
    groups = {g["object_type"]: g for g in response.context["groups"]}
    assert [hit.title for hit in groups["account"]["hits"]] == ["张三贸易"]
    assert "张三物流" not in response.content.decode()


def test_search_dropdown_fragment_for_the_header_box(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme Trading"})
    response = rep_client.get(reverse("search"), {"q": "acme", "partial": "1"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert account.get_absolute_url() in html
    assert "Acme Trading" in html


def test_search_groups_contacts_apart_from_accounts(rep_client, org):
    account = create_account(org.east_rep, {"name": "Wang Industries"})
    create_contact(org.east_rep, {"name": "Wang Fang", "account": account})
    response = rep_client.get(reverse("search"), {"q": "wang"})
    groups = {g["object_type"]: [h.title for h in g["hits"]] for g in response.context["groups"]}
    assert groups["account"] == ["Wang Industries"]
    assert groups["contact"] == ["Wang Fang"]


def test_search_with_an_empty_query_shows_just_the_box(rep_client):
    response = rep_client.get(reverse("search"), {"q": "  "})
    assert response.status_code == 200
    assert response.context["groups"] == []


# -- history ---------------------------------------------------------------------------------


def test_history_shows_field_labels_and_before_after_values(rep_client, org):
    account = create_account(org.east_rep, {"name": "Old name", "settlement": "cash"})
    update_account(
        org.east_rep,
        account,
        {"name": "New name", "settlement": "credit"},
        expected_version=account.version,
    )
    response = rep_client.get(reverse("history", args=["account", account.pk]))
    assert response.status_code == 200
    update = next(r for r in response.context["rows"] if r.entry.action == "update")
    changes = {c.label: (c.before, c.after) for c in update.changes}
    assert changes["Name"] == ("Old name", "New name")
    assert changes["Settlement"] == ("Cash", "Credit")
    html = response.content.decode()
    assert update.entry.request_id in html
    assert "eastrep" in html or str(org.east_rep) in html


def test_history_is_a_fragment_for_htmx_and_a_page_otherwise(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    url = reverse("history", args=["account", account.pk])
    fragment = rep_client.get(url, **HTMX).content.decode()
    page = rep_client.get(url).content.decode()
    assert "<html" not in fragment and "history-entry" in fragment
    assert "<html" in page and "history-entry" in page


def test_history_of_an_invisible_record_is_404(rep_client, org):
    theirs = create_account(org.west_rep, {"name": "Theirs"})
    assert rep_client.get(reverse("history", args=["account", theirs.pk])).status_code == 404


def test_history_of_an_unknown_type_or_missing_record_is_404(rep_client):
    assert rep_client.get(reverse("history", args=["nothing", 1])).status_code == 404
    assert rep_client.get(reverse("history", args=["account", 999999])).status_code == 404


def test_history_shows_a_contacts_change_on_its_account(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    create_contact(org.east_rep, {"name": "Li Lei", "account": account})
    response = rep_client.get(reverse("history", args=["account", account.pk]))
    child_rows = [r for r in response.context["rows"] if r.is_child]
    assert [r.entry.object_repr for r in child_rows] == ["Li Lei"]


def test_history_does_not_leak_the_name_of_an_invisible_parent(rep_client, org):
    hidden = create_account(org.west_rep, {"name": "Hidden parent"})
    core.share_record(org.west_rep, hidden, user=org.east_rep, access="read")
    account = create_account(org.east_rep, {"name": "Child", "parent": hidden})
    RecordShare.objects.all().delete()
    response = rep_client.get(reverse("history", args=["account", account.pk]))
    html = response.content.decode()
    assert "Hidden parent" not in html
    assert f"#{hidden.pk}" in html


def test_user_history_is_for_administrators_only(client, org):
    client.force_login(org.east_rep)
    assert client.get(reverse("history", args=["user", org.east_rep.pk])).status_code == 404
    client.force_login(org.admin)
    assert client.get(reverse("history", args=["user", org.east_rep.pk])).status_code == 200


# -- shares ----------------------------------------------------------------------------------


def test_owner_shares_a_record_with_a_user_through_the_panel(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    url = reverse("shares", args=["account", account.pk])
    response = rep_client.post(url, {"target": f"user:{org.west_rep.pk}", "access": "read"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert list(Account.objects.visible_to(org.west_rep)) == [account]


def test_share_with_a_team_for_edit(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    rep_client.post(
        reverse("shares", args=["account", account.pk]),
        {"target": f"team:{org.west.pk}", "access": "edit"},
    )
    assert list(Account.objects.editable_by(org.west_rep)) == [account]


def test_share_form_needs_a_target(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    response = rep_client.post(
        reverse("shares", args=["account", account.pk]), {"target": "", "access": "read"}
    )
    assert response.status_code == 200
    assert "target" in response.context["form"].errors
    assert not RecordShare.objects.exists()


def test_remove_a_share(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    share = core.share_record(org.east_rep, account, user=org.west_rep, access="read")
    response = rep_client.post(
        reverse("share-delete", args=["account", account.pk, share.pk]), **HTMX
    )
    assert response.status_code == 200
    assert not Account.objects.visible_to(org.west_rep).exists()


def test_shares_of_an_invisible_record_are_404(client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    client.force_login(org.west_rep)
    url = reverse("shares", args=["account", account.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"target": f"user:{org.west_rep.pk}", "access": "edit"})
    assert response.status_code == 404
    assert not RecordShare.objects.exists()


def test_shares_of_a_record_one_may_only_read_are_403(client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    core.share_record(org.east_rep, account, user=org.west_rep, access="read")
    client.force_login(org.west_rep)
    response = client.post(
        reverse("shares", args=["account", account.pk]),
        {"target": f"user:{org.west_rep.pk}", "access": "edit"},
    )
    assert response.status_code == 403
    assert not Account.objects.editable_by(org.west_rep).exists()


# -- recycle bin -----------------------------------------------------------------------------


def test_recycle_bin_lists_only_what_the_user_may_see(rep_client, org):
    mine = create_account(org.east_rep, {"name": "Mine"})
    theirs = create_account(org.west_rep, {"name": "Theirs"})
    delete_account(org.east_rep, mine, expected_version=mine.version)
    delete_account(org.west_rep, theirs, expected_version=theirs.version)
    response = rep_client.get(reverse("recycle-bin"))
    assert [e.object_repr for e in response.context["page"].object_list] == ["Mine"]


def test_restore_from_the_page_brings_the_account_back_with_its_contacts(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    create_contact(org.east_rep, {"name": "Li Lei", "account": account})
    entry = delete_account(org.east_rep, account, expected_version=account.version)
    assert not Account.objects.filter(pk=account.pk).exists()
    response = rep_client.post(reverse("recycle-bin-restore", args=[entry.pk]), follow=True)
    assert response.status_code == 200
    assert Account.objects.get(pk=account.pk).name == "Acme"
    assert Contact.objects.filter(account=account).count() == 1
    assert not DeletedRecord.objects.exists()
    assert "is restored" in response.content.decode()


def test_restoring_a_contact_of_a_deleted_account_says_restore_the_account_first(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    contact = create_contact(org.east_rep, {"name": "Li Lei", "account": account})
    contact_entry = delete_contact(org.east_rep, contact, expected_version=contact.version)
    delete_account(org.east_rep, account, expected_version=account.version)
    response = rep_client.post(reverse("recycle-bin-restore", args=[contact_entry.pk]), follow=True)
    html = response.content.decode()
    assert "was not restored" in html
    assert "Restore Acme first" in html
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_restore_of_an_entry_the_user_may_not_see_is_404(client, org):
    theirs = create_account(org.west_rep, {"name": "Theirs"})
    entry = delete_account(org.west_rep, theirs, expected_version=theirs.version)
    client.force_login(org.east_rep)
    assert client.post(reverse("recycle-bin-restore", args=[entry.pk])).status_code == 404
    assert DeletedRecord.objects.filter(pk=entry.pk).exists()


def test_recycle_bin_filters_by_type(rep_client, org):
    account = create_account(org.east_rep, {"name": "Acme"})
    contact = create_contact(org.east_rep, {"name": "Solo"})
    delete_account(org.east_rep, account, expected_version=account.version)
    delete_contact(org.east_rep, contact, expected_version=contact.version)
    response = rep_client.get(reverse("recycle-bin"), {"type": "contact"})
    assert [e.object_repr for e in response.context["page"].object_list] == ["Solo"]


def _age(entry, days):
    DeletedRecord.objects.filter(pk=entry.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=days)
    )


def test_purge_command_removes_entries_older_than_the_retention_only(org, settings, capsys):
    settings.GUANXI_RECYCLE_BIN_DAYS = 30
    old = create_account(org.east_rep, {"name": "Old"})
    new = create_account(org.east_rep, {"name": "New"})
    old_entry = delete_account(org.east_rep, old, expected_version=old.version)
    delete_account(org.east_rep, new, expected_version=new.version)
    _age(old_entry, 31)
    call_command("purge_recycle_bin")
    assert "Purged 1 " in capsys.readouterr().out
    assert not Account.all_objects.filter(pk=old.pk).exists()
    assert Account.all_objects.filter(pk=new.pk).exists()
    assert list(DeletedRecord.objects.values_list("object_repr", flat=True)) == ["New"]


def test_purge_task_is_the_same_job(org, settings):
    settings.GUANXI_RECYCLE_BIN_DAYS = 30
    account = create_account(org.east_rep, {"name": "Old"})
    entry = delete_account(org.east_rep, account, expected_version=account.version)
    _age(entry, 45)
    assert purge_recycle_bin() == 1
    assert not DeletedRecord.objects.exists()


def _queries_for(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # caches (content types, access policies) warm up on a first request
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_recycle_bin_page_queries_do_not_grow_with_rows(rep_client, org):
    def delete_some(n):
        for i in range(n):
            account = create_account(org.east_rep, {"name": f"Gone {i}"})
            delete_account(org.east_rep, account, expected_version=account.version)

    delete_some(3)
    few = _queries_for(rep_client, reverse("recycle-bin"))
    delete_some(12)
    many = _queries_for(rep_client, reverse("recycle-bin"))
    assert few == many


def test_home_queries_do_not_grow_with_rows(rep_client, org):
    def add_some(n):
        for i in range(n):
            account = create_account(org.east_rep, {"name": f"Acme {i}"})
            core.add_note(org.east_rep, account, {"subject": f"Call {i}"})

    add_some(2)
    few = _queries_for(rep_client, reverse("home"))
    add_some(12)
    many = _queries_for(rep_client, reverse("home"))
    assert few == many


def test_home_counts_stop_at_the_cap_and_say_so(rep_client, org, monkeypatch):
    from guanxi.core.views import home

    monkeypatch.setattr(home, "COUNT_CAP", 2)
    for i in range(3):
        create_account(org.east_rep, {"name": f"Mine {i}"})
    create_account(org.west_rep, {"name": "Theirs"})

    response = rep_client.get(reverse("home"))

    counts = {row["object_type"]: row for row in response.context["counts"]}
    assert (counts["account"]["visible"], counts["account"]["mine"]) == (3, 3)  # cap + 1 read
    html = response.content.decode()
    assert '<div class="fs-3 fw-semibold" data-count="account">2+</div>' in html
    assert "2+ owned by me" in html
    assert '<div class="fs-3 fw-semibold" data-count="contact">0</div>' in html
