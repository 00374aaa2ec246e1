"""The customer pool: browse, claim within the cap, manager assignment, the return job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from guanxi.core.models import ChangeLogEntry, Notification, Role
from guanxi.customers.models import Account, PoolCap, PoolRule
from guanxi.customers.pool import (
    assign_from_pool,
    claim_account,
    return_to_pool,
    run_pool_job,
)
from guanxi.customers.services import create_account

pytestmark = pytest.mark.django_db


def pooled(org, name="Pool"):
    account = create_account(org.east_rep, {"name": name})
    return return_to_pool(org.east_rep, account, "test")


def test_pool_account_is_browsable_but_not_editable_until_claimed(org):
    account = pooled(org)
    assert account in Account.objects.visible_to(org.west_rep)
    assert account not in Account.objects.editable_by(org.west_rep)
    claimed = claim_account(org.west_rep, account)
    assert claimed.owner == org.west_rep and claimed.team == org.west
    assert claimed in Account.objects.editable_by(org.west_rep)
    assert claimed not in Account.objects.visible_to(org.east_rep)


def test_read_only_user_cannot_claim(org):
    account = pooled(org)
    with pytest.raises(PermissionDenied):
        claim_account(org.read_only, account)


def test_claim_beyond_cap_is_refused(org):
    PoolCap.objects.create(role=Role.objects.get(code="sales_rep"), max_accounts=1)
    create_account(org.west_rep, {"name": "Held"})
    account = pooled(org)
    with pytest.raises(ValidationError):
        claim_account(org.west_rep, account)
    assert Account.objects.get(pk=account.pk).owner is None


def test_an_account_cannot_be_claimed_twice(org):
    account = pooled(org)
    claim_account(org.west_rep, account)
    with pytest.raises(ValidationError):
        claim_account(org.east_rep2, account)


def test_manager_assigns_from_pool_only_to_own_teams(org):
    account = pooled(org)
    with pytest.raises(PermissionDenied):
        assign_from_pool(org.east_manager, account, org.west_rep)
    assigned = assign_from_pool(org.east_manager, account, org.east_rep2)
    assert assigned.owner == org.east_rep2


def test_job_returns_exactly_the_accounts_past_their_limit_and_warns_the_near_ones(
    org, django_capture_on_commit_callbacks
):
    PoolRule.objects.create(
        relationship_class="potential", days_without_followup=30, warning_days=5
    )
    now = timezone.now()
    past = create_account(org.east_rep, {"name": "Past"})
    near = create_account(org.east_rep, {"name": "Near"})
    fresh = create_account(org.east_rep, {"name": "Fresh"})
    loyal = create_account(org.east_rep, {"name": "Other class", "relationship_class": "loyal"})
    Account.objects.filter(pk=past.pk).update(last_activity_at=now - timedelta(days=31))
    Account.objects.filter(pk=near.pk).update(last_activity_at=now - timedelta(days=27))
    Account.objects.filter(pk=fresh.pk).update(last_activity_at=now - timedelta(days=2))
    Account.objects.filter(pk=loyal.pk).update(last_activity_at=now - timedelta(days=300))

    with django_capture_on_commit_callbacks(execute=True):
        result = run_pool_job(now)

    assert result == {"warned": [near.pk], "returned": [past.pk]}
    assert list(Account.objects.filter(owner__isnull=True)) == [Account.objects.get(pk=past.pk)]
    assert Notification.objects.get(user=org.east_rep).url == near.get_absolute_url()
    assert len(mail.outbox) == 1
    last = ChangeLogEntry.objects.filter(object_type="account", object_id=past.pk).first()
    assert last.changes["owner"] == [org.east_rep.pk, None]
    assert last.actor is None
    # a second run warns nobody twice and returns nothing more
    assert run_pool_job(now) == {"warned": [], "returned": []}


def test_won_deal_resets_the_no_win_clock(org):
    from decimal import Decimal

    from guanxi.sales.models import Pipeline
    from guanxi.sales.services import create_opportunity, move_stage

    PoolRule.objects.create(relationship_class="potential", days_without_win=60, warning_days=0)
    account = create_account(org.east_rep, {"name": "Winner"})
    Account.objects.filter(pk=account.pk).update(created_at=timezone.now() - timedelta(days=90))
    opp = create_opportunity(org.east_rep, {"name": "D", "account": account, "amount": Decimal(1)})
    move_stage(
        org.east_rep, opp, Pipeline.default().stages.get(kind="won"), expected_version=opp.version
    )
    assert run_pool_job()["returned"] == []
