"""The scale seeder: bulk rows with the same derived fields as the services give."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from guanxi.core.models import Note, RecordShare, Team, User
from guanxi.core.search import search_filter
from guanxi.customers.models import Account, Contact
from guanxi.customers.seed import cached_pinyin, ensure_owners, seed_scale

pytestmark = pytest.mark.django_db


def test_seed_scale_creates_accounts_with_contacts_and_notes():
    result = seed_scale(30, contacts_per_account=2, notes_per_account=1, owners=12, batch_size=7)

    assert (result.accounts, result.contacts, result.notes) == (30, 60, 30)
    assert Account.objects.count() == 30
    assert Contact.objects.count() == 60
    assert Note.objects.count() == 30
    account = Account.objects.filter(kind="company").first()
    assert account.contacts.count() == 2
    assert account.last_activity_at == Note.objects.get(object_id=account.pk).occurred_at


def test_seeded_rows_carry_the_fields_derive_fields_computes():
    seed_scale(20, owners=3)

    for model, sources in ((Account, ("phone", "email", "tax_number")), (Contact, ("mobile",))):
        for row in model.objects.all():
            fresh = model(name=row.name, **{f: getattr(row, f) for f in sources})
            if model is Contact:
                fresh.email = row.email
            fresh.derive_fields()
            assert (row.name_pinyin, row.name_initials, row.search_tokens) == (
                fresh.name_pinyin,
                fresh.name_initials,
                fresh.search_tokens,
            )


def test_seeded_accounts_are_found_by_pinyin_initials():
    seed_scale(10, owners=2)
    account = Account.objects.exclude(name_initials="").first()

    found = search_filter(Account.objects.all(), account.name_initials)

    assert account in found


def test_seed_owners_form_a_team_hierarchy_that_scopes_visibility():
    seed_scale(60, owners=20, share_ratio=0)
    director = User.objects.get(username="seed.director")
    manager = User.objects.get(username="seed.mgr01")
    rep = User.objects.filter(username__startswith="seed.rep", team=manager.team).first()

    assert Team.objects.get(name="Seed HQ").manager == director
    assert manager.team.parent.name == "Seed HQ" and manager.team.manager == manager
    assert Account.objects.visible_to(director).count() == 60
    team_accounts = Account.objects.filter(team=manager.team).count()
    assert Account.objects.visible_to(manager).count() == team_accounts
    assert set(Account.objects.visible_to(rep).values_list("owner", flat=True)) <= {rep.pk}


def test_seed_shares_some_accounts_with_another_team():
    seed_scale(50, owners=20, share_ratio=0.5)

    shares = list(RecordShare.objects.select_related("user"))
    assert shares
    for share in shares:
        account = Account.objects.get(pk=share.object_id)
        assert share.user.team_id != account.team_id
        assert Account.objects.visible_to(share.user).filter(pk=account.pk).exists()


def test_seeding_again_reuses_the_owners():
    ensure_owners(5)
    users = User.objects.count()

    call_command("seed_scale", "--accounts", "5", "--owners", "5", stdout=StringIO())

    assert User.objects.count() == users
    assert Account.objects.count() == 5


def test_cached_pinyin_restores_pypinyin_afterwards():
    from guanxi.core import search

    before = search.lazy_pinyin
    with cached_pinyin():
        assert search.lazy_pinyin is not before
        assert search.lazy_pinyin("张三") == ["zhang", "san"]
    assert search.lazy_pinyin is before
