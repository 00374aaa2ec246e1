"""Campaign use-cases: thin services over the core record mechanisms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from guanxi.core import services as core
from guanxi.core.models import DeletedRecord

from .models import Campaign


def _split_tags(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    plain = dict(data)
    tags = plain.pop("tags", None)
    return plain, ({"tags": tags} if tags is not None else None)


@transaction.atomic
def create_campaign(actor: Any, data: Mapping[str, Any], *, owner: Any = "actor") -> Campaign:
    """A new campaign owned by the actor (or the owner they may assign)."""
    plain, m2m = _split_tags(data)
    return core.create_record(actor, Campaign, plain, m2m=m2m, owner=owner)


@transaction.atomic
def update_campaign(
    actor: Any, campaign: Campaign, data: Mapping[str, Any], *, expected_version: int | None
) -> Campaign:
    """Change a campaign (its cost, dates, status …) if it is still at ``expected_version``."""
    plain, m2m = _split_tags(data)
    return core.update_record(actor, campaign, plain, expected_version=expected_version, m2m=m2m)


@transaction.atomic
def delete_campaign(
    actor: Any, campaign: Campaign, *, expected_version: int | None
) -> DeletedRecord:
    """Move a campaign to the recycle bin; its leads keep their link until it is purged."""
    return core.delete_record(actor, campaign, expected_version=expected_version)
