"""Change events: every committed write is announced, after commit, to whoever subscribed.

Subscribers are registered explicitly (realtime screens, FHIR Subscriptions, caches) rather than
through Django signals, so the order of side effects stays visible in the code that registers them.
"""

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from django.db import transaction

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ResourceChanged:
    resource_type: str
    resource_id: str
    version_id: int
    action: str  # "create", "update" or "delete"


Subscriber = Callable[[ResourceChanged], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> Callable[[], None]:
    """Register a subscriber; returns a function that removes it again."""
    _subscribers.append(subscriber)
    return lambda: _subscribers.remove(subscriber)


def announce_on_commit(event: ResourceChanged) -> None:
    transaction.on_commit(lambda: _deliver(event))


def _deliver(event: ResourceChanged) -> None:
    for subscriber in list(_subscribers):
        try:
            subscriber(event)
        except Exception:  # one failing subscriber must not stop the others, nor the write
            logger.exception("change subscriber failed", subscriber=repr(subscriber))
