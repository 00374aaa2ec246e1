"""Builders shared by the activities tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from guanxi.activities.models import Activity, CallOutcome
from guanxi.activities.services import create_activity
from guanxi.customers.services import create_account
from guanxi.leads.models import Lead
from guanxi.leads.services import create_lead


def at(*args: int) -> dt.datetime:
    """An aware UTC datetime."""
    return dt.datetime(*args, tzinfo=dt.UTC)


def make_activity(user: Any, subject: str = "Follow up", **data: Any) -> Activity:
    owner = data.pop("owner", "actor")
    data.setdefault("due_at", timezone.now() + dt.timedelta(hours=2))
    return create_activity(user, {"subject": subject, **data}, owner=owner)


def make_lead(user: Any, name: str = "王伟", **data: Any) -> Lead:
    owner = data.pop("owner", "actor")
    return create_lead(user, {"person_name": name, **data}, assign=False, owner=owner)


def make_account(user: Any, name: str = "华为客户", **data: Any) -> Any:
    owner = data.pop("owner", "actor")
    return create_account(user, {"name": name, **data}, owner=owner)


def outcome(code: str) -> CallOutcome:
    return CallOutcome.objects.get(code=code)
