"""The demo data: two teams, varied customers, written through the services."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from guanxi.core.management.commands.bootstrap import create_admin
from guanxi.core.models import ChangeLogEntry, DeletedRecord, Note, RecordShare, Team, User
from guanxi.core.validators import validate_cn_mobile, validate_uscc
from guanxi.customers import demo
from guanxi.customers.models import (
    ALLOWED_TRANSITIONS,
    Account,
    ClassTransition,
    ConsentRecord,
    Contact,
    RelationshipClass,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module's tests and rolled back after them."""
    with django_db_blocker.unblock(), transaction.atomic():
        admin = create_admin("Admin-Pass-2026")
        summary = demo.load_demo(admin, accounts=40, password="Demo-Pass-2026")
        yield admin, summary
        transaction.set_rollback(True)


def test_demo_creates_two_teams_under_sales_with_a_manager_and_reps_each(loaded):
    sales = Team.objects.get(name=demo.DEMO_TEAMS["sales"])
    for key in ("east", "south"):
        team = Team.objects.get(name=demo.DEMO_TEAMS[key])
        reps = User.objects.filter(team=team, roles__code="sales_rep")
        assert team.parent == sales
        assert team.manager.roles.filter(code="sales_manager").exists()
        assert 2 <= reps.count() <= 3
    assert sales.manager.username == "zhou.jian"


def test_demo_users_have_the_printed_password(loaded):
    _admin, summary = loaded

    assert {u.password for u in summary.users} == {"Demo-Pass-2026"}
    assert User.objects.get(username="li.na").check_password("Demo-Pass-2026")


def test_demo_accounts_have_chinese_and_english_names_and_valid_identifiers(loaded):
    accounts = list(Account.all_objects.all())
    names = [a.name for a in accounts]

    assert any(name.endswith("有限公司") for name in names)
    assert any(name.isascii() for name in names)
    for account in accounts:
        if account.tax_number:
            validate_uscc(account.tax_number)
        assert account.name_pinyin or account.name.isascii()
    for contact in Contact.all_objects.exclude(mobile=""):
        validate_cn_mobile(contact.mobile)


def test_demo_varies_every_classification(loaded):
    accounts = Account.all_objects.all()
    for field in ("relationship_class", "source_class", "region_class", "settlement", "kind"):
        assert accounts.values(field).distinct().count() >= 2, field
    assert accounts.values("profit_contribution").distinct().count() >= 2


def test_demo_is_written_through_the_services_with_a_change_log(loaded):
    account = Account.objects.filter(contacts__isnull=False).first()

    assert ChangeLogEntry.objects.filter(
        object_type="account", object_id=account.pk, action="create"
    ).exists()
    assert ChangeLogEntry.objects.filter(parent_type="account", parent_id=account.pk).exists()
    assert account.created_by == account.owner


def test_demo_class_moves_follow_the_flow_model(loaded):
    moves = ClassTransition.objects.order_by("account_id", "at", "id")

    later = [m for m in moves if m.from_class]
    assert later, "some customers moved along the flow model"
    assert all(m.to_class in ALLOWED_TRANSITIONS[m.from_class] for m in later)


def test_demo_owners_are_in_the_two_teams_and_reps_see_only_their_own(loaded):
    east_rep = User.objects.get(username="li.na")
    south_rep = User.objects.get(username="huang.min")

    east_names = set(Account.objects.visible_to(east_rep).values_list("name", flat=True))
    south_owned = set(Account.objects.filter(owner=south_rep).values_list("name", flat=True))

    assert Account.objects.filter(owner=east_rep).exists()
    assert not (east_names & south_owned) or RecordShare.objects.filter(user=east_rep).exists()
    teams = set(Account.all_objects.values_list("team__name", flat=True))
    assert teams <= {demo.DEMO_TEAMS["east"], demo.DEMO_TEAMS["south"]}


def test_demo_has_timelines_consent_shares_and_a_recycle_bin(loaded):
    assert Note.objects.count() > 10
    assert ConsentRecord.objects.exists()
    assert RecordShare.objects.exists()
    assert DeletedRecord.objects.filter(object_type="account").exists()
    assert Account.objects.filter(last_activity_at__isnull=False).exists()


def test_demo_refuses_to_load_twice(loaded):
    admin, _summary = loaded

    with pytest.raises(demo.DemoAlreadyLoaded):
        demo.load_demo(admin, accounts=2)


def test_load_demo_command_needs_a_superuser():
    with pytest.raises(CommandError, match="superuser"):
        call_command("load_demo", "--accounts", "2", "--as", "nobody")


@pytest.mark.parametrize("final", RelationshipClass.values)
def test_flow_paths_reach_their_class_by_allowed_moves(final):
    rnd = random.Random(final)
    for _ in range(30):
        path = demo.flow_path(rnd, final)

        assert path[-1] == final
        assert path[0] in (RelationshipClass.NON_CUSTOMER, RelationshipClass.POTENTIAL)
        assert demo.allowed_path(path)


def test_generated_tax_numbers_pass_the_checksum():
    rnd = random.Random(3)
    for city in demo.CITIES:
        validate_uscc(demo.make_uscc(rnd, city.division))
