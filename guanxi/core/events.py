"""Domain events: services emit them explicitly; subscribers run after the commit."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from .context import current_request_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    name: str  # "account.created", "contact.changed", "account.class_changed" …
    object_type: str
    object_id: int
    actor_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    request_id: str = ""
    at: str = ""


Subscriber = Callable[[DomainEvent], None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)

#: The events services emit, by object type, for subscribers that let a user choose some (the
#: webhook pages). Every record type also emits ``<type>.created``, ``.changed``, ``.deleted``
#: and ``.restored`` through the core record services; names emitted that are not listed here
#: are collected at run time (:func:`event_names`). Add a name here when a service starts
#: emitting it.
KNOWN_EVENTS: tuple[str, ...] = (
    # customers
    "account.created",
    "account.changed",
    "account.deleted",
    "account.restored",
    "account.merged",
    "account.class_changed",
    "account.returned_to_pool",
    "account.claimed",
    "account.assigned_from_pool",
    "contact.created",
    "contact.changed",
    "contact.deleted",
    "contact.restored",
    "contact.consent_changed",
    # leads
    "lead.created",
    "lead.changed",
    "lead.deleted",
    "lead.restored",
    "lead.assigned",
    "lead.qualified",
    "lead.escalated",
    "lead.converted",
    # opportunities
    "opportunity.created",
    "opportunity.changed",
    "opportunity.deleted",
    "opportunity.restored",
    "opportunity.stage_changed",
    "opportunity.won",
    "opportunity.lost",
    # marketing
    "campaign.created",
    "campaign.changed",
    "campaign.deleted",
    # timeline and activities
    "note.created",
    "note.changed",
    "note.deleted",
    "activity.created",
    "activity.changed",
    "activity.completed",
    "activity.cancelled",
    "activity.deleted",
    # people and data
    "user.created",
    "import.applied",
    "export.created",
)

# Names emitted since the process started (a service may emit one not listed above).
_emitted: set[str] = set()


def event_names() -> list[str]:
    """Every event name known: :data:`KNOWN_EVENTS` and any other emitted so far, sorted."""
    return sorted({*KNOWN_EVENTS, *_emitted})


def matches(pattern: str, name: str) -> bool:
    """Whether an event ``name`` matches ``pattern``: ``"*"`` (every event), ``"lead.*"`` (every
    event of an object type) or the exact name."""
    pattern = pattern.strip()
    if pattern == "*" or pattern == name:
        return True
    return pattern.endswith(".*") and name.startswith(pattern[:-1])


def subscribe(name: str, handler: Subscriber) -> None:
    """Run ``handler`` after commit for each event called ``name`` (``"*"``: every event)."""
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def unsubscribe(name: str, handler: Subscriber) -> None:
    if handler in _subscribers[name]:
        _subscribers[name].remove(handler)


def emit(name: str, obj: Any, actor: Any = None, **payload: Any) -> DomainEvent:
    """Record that something happened; subscribers are called once the transaction commits."""
    _emitted.add(name)
    event = DomainEvent(
        name=name,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        actor_id=getattr(actor, "pk", None),
        payload=payload,
        request_id=current_request_id(),
        at=timezone.now().isoformat(),
    )

    def deliver() -> None:
        for handler in [*_subscribers.get(name, ()), *_subscribers.get("*", ())]:
            try:
                handler(event)
            except Exception:  # a subscriber's failure must not undo the committed write
                logger.exception("event subscriber failed for %s", name)

    transaction.on_commit(deliver)
    return event
