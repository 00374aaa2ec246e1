"""The customer pool pages: browse, claim (within the cap), assign, return; the rules and caps
pages; the scheduled job as a management command."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from guanxi.core.models import ChangeLogEntry, Role
from guanxi.customers.models import Account, PoolCap, PoolRule
from guanxi.customers.pool import return_to_pool

from .helpers import make_account

pytestmark = pytest.mark.django_db


def pooled(org, name="公海客户", **extra):
    account = make_account(org.east_rep, name, **extra)
    return return_to_pool(org.east_rep, account, "test")


def claim(client, *accounts):
    return client.post(
        reverse("sales:pool"), {"_action": "claim", "ids": [a.pk for a in accounts]}, follow=True
    )


def test_pool_lists_accounts_without_owner(client, org):
    free = pooled(org, "Free")
    held = make_account(org.west_rep, "Held")
    client.force_login(org.west_rep)

    html = client.get(reverse("sales:pool")).text

    assert f'data-id="{free.pk}"' in html and f'data-id="{held.pk}"' not in html
    assert 'data-bulk="claim"' in html
    assert 'data-bulk="assign"' not in html  # a rep assigns to no one


def test_pool_filters_by_relationship_class(client, org):
    customer = pooled(org, "Customer", relationship_class="loyal")
    potential = pooled(org, "Potential", relationship_class="potential")
    client.force_login(org.west_rep)

    html = client.get(reverse("sales:pool"), {"relationship_class": "loyal"}).text

    assert f'data-id="{customer.pk}"' in html and f'data-id="{potential.pk}"' not in html


def test_claim_makes_the_account_the_reps(client, org):
    account = pooled(org)
    client.force_login(org.west_rep)

    response = claim(client, account)

    account.refresh_from_db()
    assert account.owner == org.west_rep and account.team == org.west
    assert "1 record done" in response.text


def test_claim_beyond_the_cap_shows_why(client, org):
    PoolCap.objects.create(role=Role.objects.get(code="sales_rep"), max_accounts=1)
    make_account(org.west_rep, "Already mine")
    account = pooled(org)
    client.force_login(org.west_rep)

    response = claim(client, account)

    assert "already holds 1 accounts, the most allowed" in response.text
    assert Account.objects.get(pk=account.pk).owner is None


def test_claim_of_several_stops_at_the_cap(client, org):
    PoolCap.objects.create(role=Role.objects.get(code="sales_rep"), max_accounts=1)
    first, second = pooled(org, "A"), pooled(org, "B")
    client.force_login(org.west_rep)

    response = claim(client, first, second)

    assert Account.objects.filter(owner=org.west_rep).count() == 1
    assert "the most allowed" in response.text


def test_pool_page_says_how_many_the_user_holds(client, org):
    PoolCap.objects.create(role=Role.objects.get(code="sales_rep"), max_accounts=5)
    make_account(org.west_rep)
    client.force_login(org.west_rep)

    html = client.get(reverse("sales:pool")).text

    assert "You hold 1 of at most 5 accounts." in html


def test_manager_assigns_from_the_pool_to_a_team_member(client, org):
    account = pooled(org)
    client.force_login(org.east_manager)

    page = client.get(reverse("sales:pool")).text
    client.post(
        reverse("sales:pool"),
        {"_action": "assign", "ids": [account.pk], "assign-owner": org.east_rep2.pk},
    )

    assert 'data-bulk="assign"' in page
    assert Account.objects.get(pk=account.pk).owner == org.east_rep2


def test_manager_cannot_assign_outside_their_teams(client, org):
    account = pooled(org)
    client.force_login(org.east_manager)

    client.post(
        reverse("sales:pool"),
        {"_action": "assign", "ids": [account.pk], "assign-owner": org.west_rep.pk},
    )

    assert Account.objects.get(pk=account.pk).owner is None


def test_claim_and_assign_from_the_account_page(client, org):
    one, two = pooled(org, "One"), pooled(org, "Two")
    client.force_login(org.east_manager)

    page = client.get(one.get_absolute_url()).text
    client.post(reverse("sales:pool-claim", args=[one.pk]))
    client.post(reverse("sales:pool-assign", args=[two.pk]), {"owner": org.east_rep.pk})

    assert 'id="claim-button"' in page and 'id="assign-button"' in page
    assert Account.objects.get(pk=one.pk).owner == org.east_manager
    assert Account.objects.get(pk=two.pk).owner == org.east_rep


def test_rep_cannot_assign_from_the_account_page(client, org):
    account = pooled(org)
    client.force_login(org.west_rep)

    response = client.post(
        reverse("sales:pool-assign", args=[account.pk]), {"owner": org.west_rep.pk}
    )

    assert response.status_code == 403
    assert Account.objects.get(pk=account.pk).owner is None


def test_read_only_user_sees_no_claim_button_and_cannot_claim(client, org):
    account = pooled(org)
    client.force_login(org.read_only)

    response = client.post(reverse("sales:pool-claim", args=[account.pk]))

    assert response.status_code == 404  # the pool is for those who may take accounts
    assert Account.objects.get(pk=account.pk).owner is None


def test_owner_returns_an_account_to_the_pool_from_its_page(client, org):
    account = make_account(org.east_rep)
    client.force_login(org.east_rep)

    page = client.get(account.get_absolute_url()).text
    client.post(reverse("sales:pool-return", args=[account.pk]), {"reason": "不再跟进"})

    assert 'id="return-button"' in page
    account.refresh_from_db()
    assert account.owner is None and account.pooled_at is not None


def test_someone_who_cannot_edit_the_account_cannot_return_it(client, org):
    account = make_account(org.west_rep)
    client.force_login(org.east_rep)

    response = client.post(reverse("sales:pool-return", args=[account.pk]))

    assert response.status_code == 404
    assert Account.objects.get(pk=account.pk).owner == org.west_rep


def test_claims_and_returns_show_in_the_accounts_history(client, org):
    account = make_account(org.east_rep)
    client.force_login(org.east_rep)
    client.post(reverse("sales:pool-return", args=[account.pk]), {"reason": "不再跟进"})
    client.force_login(org.west_rep)
    client.post(reverse("sales:pool-claim", args=[account.pk]))

    entries = ChangeLogEntry.objects.filter(object_type="account", object_id=account.pk)
    pool_changes = [e.changes.get("pool") for e in entries if "pool" in e.changes]
    html = client.get(reverse("history", args=["account", account.pk])).text

    assert [None, "不再跟进"] in pool_changes and ["claimed", None] in pool_changes
    assert "不再跟进" in html


# -- rules and caps (administrators) ---------------------------------------------------------


def rules_data(**rows):
    """The rules page's POST: ``rows`` maps a class to (followup, win, warning, enabled)."""
    from guanxi.customers.models import RelationshipClass

    n = len(RelationshipClass.choices)
    data = {"rules-TOTAL_FORMS": n, "rules-INITIAL_FORMS": n}
    for i, (value, _label) in enumerate(RelationshipClass.choices):
        followup, win, warning, enabled = rows.get(value, ("", "", "3", False))
        data[f"rules-{i}-relationship_class"] = value
        data[f"rules-{i}-days_without_followup"] = followup
        data[f"rules-{i}-days_without_win"] = win
        data[f"rules-{i}-warning_days"] = warning
        if enabled:
            data[f"rules-{i}-enabled"] = "on"
    return data


def test_admin_sets_a_pool_rule(client, org):
    client.force_login(org.admin)

    page = client.get(reverse("sales:pool-rules"))
    response = client.post(
        reverse("sales:pool-rules"), rules_data(potential=("30", "90", "5", True))
    )

    assert page.status_code == 200 and response.status_code == 302
    rule = PoolRule.objects.get(relationship_class="potential")
    assert (rule.days_without_followup, rule.days_without_win, rule.warning_days) == (30, 90, 5)
    assert rule.is_active and PoolRule.objects.count() == 1


def test_a_warning_after_the_limit_is_refused_next_to_the_field(client, org):
    client.force_login(org.admin)

    response = client.post(
        reverse("sales:pool-rules"), rules_data(potential=("10", "", "20", True))
    )

    assert response.status_code == 200
    assert "The warning must come before the limit" in response.text
    assert not PoolRule.objects.exists()


def test_admin_sets_and_removes_caps(client, org):
    client.force_login(org.admin)
    roles = list(Role.objects.order_by("-is_builtin", "name"))
    data = {"caps-TOTAL_FORMS": len(roles), "caps-INITIAL_FORMS": len(roles)}
    for i, role in enumerate(roles):
        data[f"caps-{i}-role"] = role.pk
        data[f"caps-{i}-max_accounts"] = "50" if role.code == "sales_rep" else ""

    page = client.get(reverse("sales:pool-caps"))
    client.post(reverse("sales:pool-caps"), data)

    assert page.status_code == 200
    assert dict(PoolCap.objects.values_list("role__code", "max_accounts")) == {"sales_rep": 50}


@pytest.mark.parametrize("role", ["east_manager", "east_rep", "read_only"])
@pytest.mark.parametrize("page", ["sales:pool-rules", "sales:pool-caps"])
def test_only_administrators_see_the_pool_settings(client, org, role, page):
    client.force_login(getattr(org, role))

    assert client.get(reverse(page)).status_code == 403
    assert client.post(reverse(page), {}).status_code == 403


# -- the scheduled job -----------------------------------------------------------------------


def test_pool_job_command_returns_the_accounts_past_their_limit(org):
    PoolRule.objects.create(
        relationship_class="potential", days_without_followup=30, warning_days=5
    )
    old = make_account(org.east_rep, "Neglected", relationship_class="potential")
    fresh = make_account(org.east_rep, "Fresh", relationship_class="potential")
    customer = make_account(org.east_rep, "Customer", relationship_class="loyal")
    long_ago = timezone.now() - timedelta(days=40)
    Account.objects.filter(pk__in=[old.pk, customer.pk]).update(
        created_at=long_ago, last_activity_at=long_ago
    )
    from io import StringIO

    out = StringIO()
    call_command("run_pool_job", stdout=out)

    assert Account.objects.get(pk=old.pk).owner is None
    assert Account.objects.get(pk=fresh.pk).owner == org.east_rep
    assert Account.objects.get(pk=customer.pk).owner == org.east_rep  # no rule for its class
    assert "returned 1 accounts" in out.getvalue()


def test_pool_job_is_scheduled_daily():
    from django.conf import settings

    from guanxi.customers.tasks import run_pool_job

    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "guanxi.customers.tasks.run_pool_job"
    )
    assert entry["schedule"] == 24 * 3600
    assert run_pool_job.name == entry["task"]


def test_pool_job_task_runs_the_job(org):
    from guanxi.customers.tasks import run_pool_job

    assert run_pool_job() == {"warned": 0, "returned": 0}


def test_pool_views_are_saved_apart_from_the_account_lists(client, org):
    from guanxi.core.models import SavedView

    client.force_login(org.west_rep)

    client.post(
        reverse("sales:pool"),
        {"_action": "save_view", "name": "Loyal in the pool", "_query": "relationship_class=loyal"},
    )
    pool_page = client.get(reverse("sales:pool")).text
    accounts_page = client.get(reverse("customers:account-list")).text

    assert SavedView.objects.get().object_type == "pool"
    assert "Loyal in the pool" in pool_page and "Loyal in the pool" not in accounts_page


@pytest.mark.parametrize(
    ("role", "may_take", "may_assign"),
    [
        ("admin", True, True),
        ("director", True, True),
        ("east_manager", True, True),
        ("east_rep", True, False),
        ("service", True, False),  # service agents edit accounts, so they may take them
        ("read_only", False, False),
    ],
)
def test_pool_pages_by_role(client, org, role, may_take, may_assign):
    user = getattr(org, role)
    first, second = pooled(org, "First"), pooled(org, "Second")
    client.force_login(user)

    listed = client.get(reverse("sales:pool")).text
    claimed = client.post(reverse("sales:pool-claim", args=[first.pk]))
    assigned = client.post(
        reverse("sales:pool-assign", args=[second.pk]), {"owner": org.east_rep2.pk}
    )

    assert (f'data-id="{first.pk}"' in listed) == may_take
    assert claimed.status_code == (302 if may_take else 404)
    assert (Account.objects.get(pk=first.pk).owner == user) == may_take
    assert assigned.status_code == (302 if may_assign else 403 if may_take else 404)
    assert (Account.objects.get(pk=second.pk).owner == org.east_rep2) == may_assign
