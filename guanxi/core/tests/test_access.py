"""Record access: ownership, team hierarchy, shares and org-wide defaults."""

import pytest

from guanxi.core import people
from guanxi.core import services as core
from guanxi.customers.models import Account, Contact
from guanxi.customers.services import create_account, create_contact

pytestmark = pytest.mark.django_db


def visible_names(user):
    return sorted(Account.objects.visible_to(user).values_list("name", flat=True))


def test_rep_sees_only_own_accounts_by_default(org):
    create_account(org.east_rep, {"name": "Mine"})
    create_account(org.east_rep2, {"name": "Colleague's"})
    assert visible_names(org.east_rep) == ["Mine"]


def test_managers_above_see_their_teams_records(org):
    create_account(org.east_rep, {"name": "East A"})
    create_account(org.west_rep, {"name": "West A"})
    assert visible_names(org.east_manager) == ["East A"]
    assert visible_names(org.director) == ["East A", "West A"]
    assert visible_names(org.west_rep) == ["West A"]


def test_share_with_user_gives_read_but_not_edit(org):
    account = create_account(org.east_rep, {"name": "Shared"})
    core.share_record(org.east_rep, account, user=org.west_rep, access="read")
    assert visible_names(org.west_rep) == ["Shared"]
    assert not Account.objects.editable_by(org.west_rep).exists()


def test_share_with_team_gives_edit_to_members(org):
    account = create_account(org.west_rep, {"name": "Team shared"})
    core.share_record(org.west_rep, account, team=org.east, access="edit")
    assert list(Account.objects.editable_by(org.east_rep2)) == [account]


def test_public_read_policy_opens_reading_only(org):
    create_account(org.east_rep, {"name": "Open"})
    people.set_access_policy(org.admin, "account", "public_read")
    assert visible_names(org.west_rep) == ["Open"]
    assert not Account.objects.editable_by(org.west_rep).exists()


def test_contact_follows_its_account(org):
    account = create_account(org.east_rep, {"name": "Parent"})
    contact = create_contact(org.admin, {"name": "Person", "account": account}, owner=org.east_rep2)
    assert Contact.objects.visible_to(org.east_rep).get() == contact


def test_read_only_role_cannot_edit_shared_record(org):
    account = create_account(org.east_rep, {"name": "X"})
    core.share_record(org.east_rep, account, user=org.read_only, access="edit")
    assert visible_names(org.read_only) == ["X"]
    assert not Account.objects.editable_by(org.read_only).exists()


def test_admin_sees_everything(org):
    create_account(org.east_rep, {"name": "A"})
    create_account(org.west_rep, {"name": "B"})
    assert visible_names(org.admin) == ["A", "B"]


def test_inactive_user_sees_nothing(org):
    create_account(org.east_rep, {"name": "A"})
    org.east_rep.is_active = False
    org.east_rep.save()
    assert visible_names(org.east_rep) == []
