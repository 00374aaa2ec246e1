"""The customer pool (公海): accounts without an owner that reps claim, and the job that
returns neglected accounts to it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import changelog, events
from guanxi.core import services as core
from guanxi.core.models import Action, ChangeAction, User

from .models import Account, PoolCap, PoolRule


def pool_queryset(user: Any):  # type: ignore[no-untyped-def]
    """Accounts in the pool that ``user`` may browse."""
    return Account.objects.visible_to(user).filter(owner__isnull=True)


def cap_for(user: User) -> int | None:
    """The highest cap among the user's roles (None: no cap)."""
    caps = list(
        PoolCap.objects.filter(role__in=user.role_list()).values_list("max_accounts", flat=True)
    )
    return max(caps) if caps else None


def held_count(user: User) -> int:
    return Account.objects.filter(owner=user).count()


def _take(actor: Any, account: Account, owner: User, action: str) -> Account:
    current = Account.objects.select_for_update().get(pk=account.pk)
    if current.owner_id is not None:
        raise ValidationError({"owner": _("This account is no longer in the pool.")})
    cap = cap_for(owner)
    if cap is not None and held_count(owner) >= cap:
        raise ValidationError(
            {
                "owner": _("%(user)s already holds %(cap)d accounts, the most allowed.")
                % {"user": owner, "cap": cap}
            }
        )
    now = timezone.now()
    Account.all_objects.filter(pk=current.pk).update(
        owner=owner,
        team_id=owner.team_id,
        pooled_at=None,
        pool_warned_at=None,
        version=F("version") + 1,
        updated_at=now,
        updated_by=actor,
    )
    changelog.log_change(
        actor,
        current,
        ChangeAction.UPDATE,
        {
            "owner": [None, owner.pk],
            "team": [current.team_id, owner.team_id],
            "pool": [action, None],
        },
    )
    events.emit(f"account.{action}", current, actor, owner_id=owner.pk)
    current.refresh_from_db()
    return current


@transaction.atomic
def claim_account(actor: Any, account: Account) -> Account:
    """A rep takes an account from the pool, within the cap of their role."""
    if not actor.has_action("account", Action.EDIT):
        raise PermissionDenied(_("You may not take accounts."))
    if not pool_queryset(actor).filter(pk=account.pk).exists():
        raise ValidationError({"owner": _("This account is no longer in the pool.")})
    return _take(actor, account, actor, "claimed")


@transaction.atomic
def assign_from_pool(actor: Any, account: Account, owner: User) -> Account:
    """A manager gives a pool account to a member of a team they manage (admins: anyone)."""
    if not actor.is_admin_for("account") and owner.team_id not in actor.managed_team_ids():
        raise PermissionDenied(_("You may only assign to members of your teams."))
    return _take(actor, account, owner, "assigned_from_pool")


@transaction.atomic
def return_to_pool(actor: Any, account: Account, reason: str = "") -> Account:
    """Give an account back to the pool (its owner, a manager above, or the pool job)."""
    if actor is not None:
        core.require_editable(actor, account)
    current = Account.objects.select_for_update().get(pk=account.pk)
    if current.owner_id is None:
        return current
    now = timezone.now()
    Account.all_objects.filter(pk=current.pk).update(
        owner=None,
        pooled_at=now,
        pool_warned_at=None,
        version=F("version") + 1,
        updated_at=now,
        updated_by=actor,
    )
    changelog.log_change(
        actor,
        current,
        ChangeAction.UPDATE,
        {
            "owner": [current.owner_id, None],
            "pool": [None, reason or "returned"],
        },
    )
    events.emit(
        "account.returned_to_pool", current, actor, previous_owner=current.owner_id, reason=reason
    )
    current.refresh_from_db()
    return current


def _deadline_q(rule: PoolRule, now: Any, ahead_days: int = 0) -> Q | None:
    """Accounts past the rule's limits ``ahead_days`` from now."""
    q = None
    if rule.days_without_followup:
        limit = now - timedelta(days=rule.days_without_followup - ahead_days)
        stale = Q(last_activity_at__lt=limit) | Q(
            last_activity_at__isnull=True, created_at__lt=limit
        )
        q = stale if q is None else q | stale
    if rule.days_without_win:
        limit = now - timedelta(days=rule.days_without_win - ahead_days)
        no_win = Q(last_won_at__lt=limit) | Q(last_won_at__isnull=True, created_at__lt=limit)
        q = no_win if q is None else q | no_win
    return q


def run_pool_job(now: Any = None) -> dict[str, list[int]]:
    """Warn owners of accounts about to go back to the pool, and return those past the limit.

    Run daily by the scheduler. Returns the ids warned and returned.
    """
    from guanxi.core.notifications import notify

    now = now or timezone.now()
    warned: list[int] = []
    returned: list[int] = []
    for rule in PoolRule.objects.filter(is_active=True):
        held = Account.objects.filter(
            relationship_class=rule.relationship_class, owner__isnull=False
        )
        due = _deadline_q(rule, now)
        if due is None:
            continue
        for account in held.filter(due).select_related("owner"):
            with transaction.atomic():
                return_to_pool(None, account, reason=_("no follow-up or won deal in time"))
            returned.append(account.pk)
        soon = _deadline_q(rule, now, ahead_days=rule.warning_days)
        for account in (
            held.filter(soon)
            .exclude(pk__in=returned)
            .filter(pool_warned_at__isnull=True)
            .select_related("owner")
        ):
            notify(
                account.owner,
                _("%(account)s goes back to the pool in %(days)d days unless you follow up.")
                % {"account": account.name, "days": rule.warning_days},
                url=account.get_absolute_url(),
                email=True,
            )
            Account.all_objects.filter(pk=account.pk).update(pool_warned_at=now)
            warned.append(account.pk)
    return {"warned": warned, "returned": returned}


# --------------------------------------------------------------------------------------------
# settings: rules per relationship class and caps per role (administrators)
# --------------------------------------------------------------------------------------------


def _require_pool_admin(actor: Any) -> None:
    if not actor.is_admin_for("account"):
        raise PermissionDenied(_("Only administrators set the pool's rules and caps."))


@transaction.atomic
def save_pool_rule(actor: Any, relationship_class: str, data: dict[str, Any]) -> PoolRule:
    """Create or change the return rule of one relationship class.

    ``data`` holds ``days_without_followup`` and ``days_without_win`` (None: that limit does not
    apply), ``warning_days`` and ``is_active``. A rule needs at least one limit, and the
    warning must come before the limit.
    """
    _require_pool_admin(actor)
    rule = PoolRule.objects.filter(relationship_class=relationship_class).first() or PoolRule(
        relationship_class=relationship_class
    )
    for name in ("days_without_followup", "days_without_win", "warning_days", "is_active"):
        if name in data:
            setattr(rule, name, data[name])
    if not rule.days_without_followup and not rule.days_without_win:
        raise ValidationError(
            {"days_without_followup": _("Set days without follow-up, days without a win, or both.")}
        )
    shortest = min(d for d in (rule.days_without_followup, rule.days_without_win) if d)
    if rule.warning_days >= shortest:
        raise ValidationError(
            {"warning_days": _("The warning must come before the limit (fewer days).")}
        )
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def delete_pool_rule(actor: Any, rule: PoolRule) -> None:
    """No rule for the class any more: its accounts stay with their owners."""
    _require_pool_admin(actor)
    rule.delete()


@transaction.atomic
def set_pool_cap(actor: Any, role: Any, max_accounts: int | None) -> PoolCap | None:
    """How many accounts a user with ``role`` may hold (None removes the cap)."""
    _require_pool_admin(actor)
    if max_accounts is None:
        PoolCap.objects.filter(role=role).delete()
        return None
    if max_accounts < 0:
        raise ValidationError({"max_accounts": _("Enter zero or more.")})
    cap, _created = PoolCap.objects.update_or_create(
        role=role, defaults={"max_accounts": max_accounts}
    )
    return cap
