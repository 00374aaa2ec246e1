"""Bulk creation for imports: the same checks and records as one-by-one creation."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from guanxi.core import events
from guanxi.core import services as core
from guanxi.core.models import ChangeLogEntry, Tag
from guanxi.core.tests.factories import AccountFactory
from guanxi.customers import services
from guanxi.customers.models import Account, ClassTransition, Contact


def build(actor, model, **data):
    return core.build_record(actor, model, data)


def test_bulk_accounts_are_logged_tagged_announced_and_start_their_flow(
    org, django_capture_on_commit_callbacks
):
    tag = Tag.objects.create(name="VIP")
    items = [
        (build(org.east_rep, Account, name="甲公司"), {"tags": [tag]}),
        (build(org.east_rep, Account, name="乙公司", relationship_class="target"), {}),
    ]
    seen = []
    events.subscribe("account.created", seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            accounts = services.create_accounts_bulk(org.east_rep, items)
    finally:
        events.unsubscribe("account.created", seen.append)
    assert all(a.pk for a in accounts)
    assert list(accounts[0].tags.all()) == [tag]
    entries = ChangeLogEntry.objects.filter(object_type="account", action="create")
    assert {e.object_id for e in entries} == {a.pk for a in accounts}
    assert entries.get(object_id=accounts[0].pk).changes["tags"] == [None, [tag.pk]]
    assert sorted(e.object_id for e in seen) == sorted(a.pk for a in accounts)
    flows = ClassTransition.objects.filter(account__in=accounts)
    assert sorted(flows.values_list("to_class", flat=True)) == ["potential", "target"]


def test_bulk_creation_needs_the_create_right(org):
    items = [(build(org.east_rep, Account, name="甲公司"), {})]
    with pytest.raises(PermissionDenied):
        services.create_accounts_bulk(org.read_only, items)
    assert Account.all_objects.count() == 0


def test_bulk_contacts_refuse_an_account_the_actor_cannot_see(org):
    hidden = AccountFactory(name="西区", owner=org.west_rep)
    contact = Contact(name="张三", account=hidden)
    with pytest.raises(ValidationError) as info:
        services.create_contacts_bulk(org.east_rep, [(contact, {})])
    assert "account" in info.value.message_dict
    assert Contact.all_objects.count() == 0
