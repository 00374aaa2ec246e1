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


def subscribe(name: str, handler: Subscriber) -> None:
    """Run ``handler`` after commit for each event called ``name`` (``"*"``: every event)."""
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def unsubscribe(name: str, handler: Subscriber) -> None:
    if handler in _subscribers[name]:
        _subscribers[name].remove(handler)


def emit(name: str, obj: Any, actor: Any = None, **payload: Any) -> DomainEvent:
    """Record that something happened; subscribers are called once the transaction commits."""
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
