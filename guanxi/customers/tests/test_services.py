"""Customer services: change log, versions, recycle bin, class flow, consent, merge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from guanxi.core import services as core
from guanxi.core.errors import StaleVersion
from guanxi.core.models import ChangeLogEntry, DeletedRecord, Note
from guanxi.customers.models import Account, ClassTransition, Contact
from guanxi.customers.services import (
    change_relationship_class,
    create_account,
    create_contact,
    merge_accounts,
    record_consent,
    update_account,
)

pytestmark = pytest.mark.django_db


def entries(obj):
    return list(
        ChangeLogEntry.objects.filter(object_type=obj._meta.model_name, object_id=obj.pk)
        .order_by("id")
        .values_list("action", "changes")
    )


def test_create_logs_fields_and_owner(org):
    account = create_account(org.east_rep, {"name": "华为", "city": "深圳"})
    [(action, changes)] = entries(account)
    assert action == "create"
    assert changes["name"] == [None, "华为"]
    assert changes["owner"] == [None, org.east_rep.pk]
    assert account.team == org.east
    assert account.name_pinyin == "huawei"
    assert account.name_initials == "hw"


def test_update_logs_before_and_after_and_bumps_version(org):
    account = create_account(org.east_rep, {"name": "A", "city": "上海"})
    updated = update_account(org.east_rep, account, {"city": "北京"}, expected_version=1)
    assert updated.version == 2
    assert entries(account)[-1] == ("update", {"city": ["上海", "北京"]})


def test_update_on_old_version_is_refused_and_writes_nothing(org):
    account = create_account(org.east_rep, {"name": "A"})
    update_account(org.east_rep, account, {"city": "北京"}, expected_version=1)
    with pytest.raises(StaleVersion) as info:
        update_account(org.east_manager, account, {"city": "广州"}, expected_version=1)
    assert info.value.current.city == "北京"
    assert Account.objects.get(pk=account.pk).city == "北京"
    assert len(entries(account)) == 2


def test_invalid_tax_number_is_refused_with_the_field_named(org):
    with pytest.raises(ValidationError) as info:
        create_account(org.east_rep, {"name": "A", "tax_number": "91350100M000100Y44"})
    assert "tax_number" in info.value.message_dict
    assert not Account.all_objects.exists()
    assert not ChangeLogEntry.objects.exists()


def test_valid_tax_number_is_accepted_uppercased(org):
    account = create_account(org.east_rep, {"name": "A", "tax_number": "91350100m000100y43"})
    assert account.tax_number == "91350100M000100Y43"


def test_invalid_mobile_is_refused(org):
    with pytest.raises(ValidationError) as info:
        create_contact(org.east_rep, {"name": "张三", "mobile": "12345"})
    assert "mobile" in info.value.message_dict


def test_mobile_with_country_code_is_normalised(org):
    contact = create_contact(org.east_rep, {"name": "张三", "mobile": "+86 138-0013-8000"})
    assert contact.mobile == "13800138000"


def test_rep_cannot_edit_anothers_account_and_cannot_even_see_it(org):
    account = create_account(org.west_rep, {"name": "West"})
    with pytest.raises(Http404):
        update_account(org.east_rep, account, {"city": "X"}, expected_version=1)


def test_read_only_user_sees_shared_record_but_cannot_edit(org):
    account = create_account(org.east_rep, {"name": "A"})
    core.share_record(org.east_rep, account, user=org.read_only, access="read")
    with pytest.raises(PermissionDenied):
        update_account(org.read_only, account, {"city": "X"}, expected_version=1)


def test_delete_takes_contacts_and_notes_to_recycle_bin_and_restore_brings_them_back(org):
    account = create_account(org.east_rep, {"name": "A"})
    contact = create_contact(org.east_rep, {"name": "C", "account": account})
    core.add_note(org.east_rep, account, {"kind": "call", "body": "called"})
    core.add_note(org.east_rep, contact, {"kind": "visit", "body": "visited"})
    entry = core.delete_record(org.east_rep, account, expected_version=1)
    assert entry.children == 3
    assert not Account.objects.exists()
    assert not Contact.objects.exists()
    assert not Note.objects.exists()
    core.restore_record(org.east_rep, entry)
    assert Account.objects.get().name == "A"
    assert Contact.objects.get().account_id == account.pk
    assert Note.objects.count() == 2
    assert not DeletedRecord.objects.exists()
    assert [a for a, _c in entries(account)] == ["create", "delete", "restore"]


def test_contact_cannot_be_restored_before_its_account(org):
    account = create_account(org.east_rep, {"name": "A"})
    contact = create_contact(org.east_rep, {"name": "C", "account": account})
    contact_entry = core.delete_record(org.east_rep, contact, expected_version=1)
    core.delete_record(org.east_rep, account, expected_version=1)
    with pytest.raises(ValidationError):
        core.restore_record(org.east_rep, contact_entry)


def test_purge_removes_only_entries_past_retention(org):
    old = create_account(org.east_rep, {"name": "Old"})
    new = create_account(org.east_rep, {"name": "New"})
    old_entry = core.delete_record(org.east_rep, old, expected_version=1)
    core.delete_record(org.east_rep, new, expected_version=1)
    DeletedRecord.objects.filter(pk=old_entry.pk).update(
        deleted_at=timezone.now() - timedelta(days=31)
    )
    assert core.purge_expired() == 1
    assert list(Account.all_objects.values_list("name", flat=True)) == ["New"]
    assert ChangeLogEntry.objects.filter(object_id=old.pk, action="purge").exists()


def test_class_flow_allows_only_model_moves_and_records_them(org):
    account = create_account(org.east_rep, {"name": "A", "relationship_class": "potential"})
    with pytest.raises(ValidationError):
        change_relationship_class(org.east_rep, account, "loyal", expected_version=1)
    account = change_relationship_class(org.east_rep, account, "target", expected_version=1)
    account = change_relationship_class(
        org.east_rep, account, "first_time", expected_version=account.version
    )
    account = change_relationship_class(
        org.east_rep, account, "lost", expected_version=account.version
    )
    account = change_relationship_class(
        org.east_rep, account, "repeat", expected_version=account.version
    )
    moves = list(
        ClassTransition.objects.filter(account=account)
        .order_by("id")
        .values_list("from_class", "to_class", "actor")
    )
    assert moves == [
        ("", "potential", org.east_rep.pk),
        ("potential", "target", org.east_rep.pk),
        ("target", "first_time", org.east_rep.pk),
        ("first_time", "lost", org.east_rep.pk),
        ("lost", "repeat", org.east_rep.pk),
    ]


def test_consent_is_recorded_with_how_and_current_status(org):
    contact = create_contact(org.east_rep, {"name": "C"})
    record_consent(org.east_rep, contact, "email", "granted", "web_form")
    record_consent(org.east_rep, contact, "email", "withdrawn", "email")
    contact.refresh_from_db()
    assert contact.consent_email == "withdrawn"
    assert list(contact.consents.values_list("status", "method")) == [
        ("withdrawn", "email"),
        ("granted", "web_form"),
    ]


def test_merge_moves_contacts_and_notes_and_restore_undoes_it(org):
    keep = create_account(org.east_rep, {"name": "Keep", "city": "上海"})
    dup = create_account(org.east_rep, {"name": "Keep Ltd", "city": "北京", "phone": "021-1234567"})
    contact = create_contact(org.east_rep, {"name": "C", "account": dup})
    note = core.add_note(org.east_rep, dup, {"body": "hello"})
    merged = merge_accounts(org.east_rep, keep, dup, values_from_duplicate=["phone"])
    assert merged.phone == "021-1234567"
    assert merged.city == "上海"
    assert Contact.objects.get(pk=contact.pk).account_id == keep.pk
    assert Note.objects.get(pk=note.pk).object_id == keep.pk
    assert not Account.objects.filter(pk=dup.pk).exists()
    history_ids = {e.object_id for e in core.history_for(merged)}
    assert dup.pk in history_ids  # the duplicate's history shows on the survivor

    entry = DeletedRecord.objects.get(object_id=dup.pk)
    core.restore_record(org.east_rep, entry)
    assert Contact.objects.get(pk=contact.pk).account_id == dup.pk
    assert Note.objects.get(pk=note.pk).object_id == dup.pk
    assert Account.objects.get(pk=keep.pk).phone == ""
