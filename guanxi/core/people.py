"""Use-cases for users, teams, roles and access policies (administrators only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from . import changelog, events
from .errors import StaleVersion
from .models import AccessLevel, AccessPolicy, Action, ChangeAction, Role, Team, User

USER_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "team",
    "language",
    "time_zone",
    "is_active",
    "kind",
)
TEAM_FIELDS = ("name", "parent", "manager")
ROLE_FIELDS = ("code", "name", "description", "permissions")


def require_admin(actor: Any) -> None:
    if not (actor.is_authenticated and actor.is_admin_for("user")):
        raise PermissionDenied(_("Only administrators manage users, teams and roles."))


def _apply(obj: Any, data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise ValidationError({k: _("This field cannot be set.") for k in unknown})
    for key, value in data.items():
        setattr(obj, key, value)


def _check_version(obj: Any, expected: int | None) -> None:
    if expected is not None and obj.version != expected:
        raise StaleVersion(obj, expected)


def _save_versioned(obj: Any, expected: int | None) -> None:
    """Compare-and-set save for the admin objects, as for records."""
    model = type(obj)
    fields = {
        f.attname: getattr(obj, f.attname)
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != "version"
    }
    written = model.objects.filter(pk=obj.pk, version=obj.version).update(
        version=F("version") + 1, **fields
    )
    if written != 1:
        raise StaleVersion(model.objects.get(pk=obj.pk), expected)
    obj.version += 1


def _valid_roles(codes: Iterable[str]) -> list[Role]:
    codes = list(codes)
    roles = list(Role.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {r.code for r in roles})
    if missing:
        raise ValidationError({"roles": _("Unknown roles: %s") % ", ".join(missing)})
    return roles


@transaction.atomic
def create_user(
    actor: Any, data: Mapping[str, Any], *, password: str | None, roles: Iterable[str] = ()
) -> User:
    """Create a user with a password (validated by the password rules) and roles by code."""
    require_admin(actor)
    user = User()
    _apply(user, data, USER_FIELDS)
    if user.email and User.objects.filter(email__iexact=user.email).exists():
        raise ValidationError({"email": _("Another user has this email address.")})
    if User.objects.filter(username__iexact=user.username or "").exists():
        raise ValidationError({"username": _("A user with that username already exists.")})
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    role_objs = _valid_roles(roles)
    user.roles.set(role_objs)
    changes = changelog.created_changes(user)
    changes.pop("password", None)
    changes["roles"] = [None, sorted(r.code for r in role_objs)]
    changelog.log_change(actor, user, ChangeAction.CREATE, changes)
    events.emit("user.created", user, actor)
    return user


@transaction.atomic
def update_user(
    actor: Any,
    user: User,
    data: Mapping[str, Any],
    *,
    expected_version: int | None,
    roles: Iterable[str] | None = None,
    password: str | None = None,
) -> User:
    require_admin(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_version(user, expected_version)
    before = changelog.snapshot(user)
    old_roles = sorted(user.roles.values_list("code", flat=True))
    _apply(user, data, USER_FIELDS)
    if (
        "email" in data
        and user.email
        and User.objects.filter(email__iexact=user.email).exclude(pk=user.pk).exists()
    ):
        raise ValidationError({"email": _("Another user has this email address.")})
    if user.pk == actor.pk and data.get("is_active") is False:
        raise ValidationError({"is_active": _("You cannot deactivate yourself.")})
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    user.full_clean(exclude=["password"])
    _save_versioned(user, expected_version)
    changes = changelog.diff(before, changelog.snapshot(user))
    changes.pop("password", None)
    if password:
        changes["password"] = ["***", "***"]
    if roles is not None:
        role_objs = _valid_roles(roles)
        # An administrator who drops their own admin role would lock themself out of the very
        # pages that could undo it.
        if (
            user.pk == actor.pk
            and not user.is_superuser
            and not any(r.grants("user", Action.ADMIN) for r in role_objs)
        ):
            raise ValidationError({"roles": _("You cannot remove your own administrator role.")})
        user.roles.set(role_objs)
        new_roles = sorted(r.code for r in role_objs)
        if new_roles != old_roles:
            changes["roles"] = [old_roles, new_roles]
    changelog.log_change(actor, user, ChangeAction.UPDATE, changes)
    return user


@transaction.atomic
def update_own_preferences(user: User, data: Mapping[str, Any]) -> User:
    """A user sets their own language, time zone, name and email."""
    allowed = ("language", "time_zone", "first_name", "last_name", "email")
    before = changelog.snapshot(user)
    _apply(user, data, allowed)
    # Users log in with their email too, so two users may not share one.
    if (
        "email" in data
        and user.email
        and User.objects.filter(email__iexact=user.email).exclude(pk=user.pk).exists()
    ):
        raise ValidationError({"email": _("Another user has this email address.")})
    user.full_clean(exclude=["password"])
    user.save(update_fields=[*data.keys()])
    changelog.log_change(
        user, user, ChangeAction.UPDATE, changelog.diff(before, changelog.snapshot(user))
    )
    return user


def _refresh_paths(team: Team) -> None:
    team.path = team.compute_path()
    Team.objects.filter(pk=team.pk).update(path=team.path)
    for child in Team.objects.filter(parent=team):
        _refresh_paths(child)


def _check_no_cycle(team: Team, parent: Team | None) -> None:
    node = parent
    while node is not None:
        if node.pk == team.pk:
            raise ValidationError({"parent": _("A team cannot be under one of its own teams.")})
        node = node.parent


@transaction.atomic
def create_team(actor: Any, data: Mapping[str, Any]) -> Team:
    require_admin(actor)
    team = Team()
    _apply(team, data, TEAM_FIELDS)
    team.full_clean(exclude=["path"])
    team.save()
    _refresh_paths(team)
    changelog.log_change(actor, team, ChangeAction.CREATE, changelog.created_changes(team))
    return team


@transaction.atomic
def update_team(
    actor: Any, team: Team, data: Mapping[str, Any], *, expected_version: int | None
) -> Team:
    require_admin(actor)
    team = Team.objects.select_for_update().get(pk=team.pk)
    _check_version(team, expected_version)
    before = changelog.snapshot(team)
    _apply(team, data, TEAM_FIELDS)
    if "parent" in data:
        _check_no_cycle(team, team.parent)
    team.full_clean(exclude=["path"])
    _save_versioned(team, expected_version)
    _refresh_paths(team)
    changelog.log_change(
        actor, team, ChangeAction.UPDATE, changelog.diff(before, changelog.snapshot(team))
    )
    return team


@transaction.atomic
def delete_team(actor: Any, team: Team) -> None:
    require_admin(actor)
    if team.children.exists() or team.members.exists():
        raise ValidationError(_("Move the team's members and sub-teams elsewhere first."))
    changelog.log_change(actor, team, ChangeAction.DELETE, {})
    team.delete()


def _validate_permissions(permissions: Any) -> None:
    valid = set(Action.values)
    if not isinstance(permissions, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and set(v) <= valid
        for k, v in permissions.items()
    ):
        raise ValidationError(
            {"permissions": _("Give a map of object type to a list of: %s.") % ", ".join(valid)}
        )


@transaction.atomic
def create_role(actor: Any, data: Mapping[str, Any]) -> Role:
    require_admin(actor)
    role = Role()
    _apply(role, data, ROLE_FIELDS)
    _validate_permissions(role.permissions)
    role.full_clean()
    role.save()
    changelog.log_change(actor, role, ChangeAction.CREATE, changelog.created_changes(role))
    return role


@transaction.atomic
def update_role(
    actor: Any, role: Role, data: Mapping[str, Any], *, expected_version: int | None
) -> Role:
    require_admin(actor)
    role = Role.objects.select_for_update().get(pk=role.pk)
    _check_version(role, expected_version)
    if role.is_builtin and "code" in data and data["code"] != role.code:
        raise ValidationError({"code": _("A built-in role keeps its code.")})
    before = changelog.snapshot(role)
    _apply(role, data, ROLE_FIELDS)
    _validate_permissions(role.permissions)
    role.full_clean()
    _save_versioned(role, expected_version)
    changelog.log_change(
        actor, role, ChangeAction.UPDATE, changelog.diff(before, changelog.snapshot(role))
    )
    return role


@transaction.atomic
def delete_role(actor: Any, role: Role) -> None:
    require_admin(actor)
    if role.is_builtin:
        raise ValidationError(_("Built-in roles cannot be deleted."))
    changelog.log_change(actor, role, ChangeAction.DELETE, {})
    role.delete()


@transaction.atomic
def set_access_policy(
    actor: Any, object_type: str, level: str, *, expected_version: int | None = None
) -> AccessPolicy:
    """Set an object type's organisation-wide default (private / public read / read-write).

    With ``expected_version`` the change is refused (StaleVersion) when someone else changed
    the policy since that version was read.
    """
    require_admin(actor)
    if level not in AccessLevel.values:
        raise ValidationError({"default_access": _("Unknown access level.")})
    policy, created = AccessPolicy.objects.select_for_update().get_or_create(
        object_type=object_type
    )
    if expected_version is not None and not created:
        _check_version(policy, expected_version)
    before = policy.default_access
    policy.default_access = level
    if before != level:
        policy.version += 1
    policy.save()
    cache.delete(f"guanxi:access-policy:{object_type}")
    changelog.log_change(actor, policy, ChangeAction.UPDATE, {"default_access": [before, level]})
    return policy
