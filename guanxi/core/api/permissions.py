"""Who may call which API endpoint at all; record access itself is the querysets' job."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions

from guanxi.core.models import User


def is_staff_user(user: Any) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "kind", None) == User.Kind.STAFF)


def is_people_admin(user: Any) -> bool:
    """Administrators manage users, teams, roles and access policies."""
    return bool(user and user.is_authenticated and user.is_admin_for("user"))


class IsStaff(permissions.BasePermission):
    """Staff only: portal and partner users do not browse the organisation."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_staff_user(request.user)


class StaffReadAdminWrite(permissions.BasePermission):
    """Staff may read; only administrators may write (403 for anyone else)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return is_staff_user(request.user)
        return is_people_admin(request.user)
