"""Change events: every committed write is announced, after commit, to whoever subscribed.

Subscribers are registered explicitly (realtime screens, FHIR Subscriptions, caches) rather than
through Django signals, so the order of side effects stays visible in the code that registers them.

Events are delivered in batches once the transaction commits: `subscribe_batch` subscribers get
a list per batch (a Bundle of 1,000 resources is one call, so a subscriber can route it with one
round trip), `subscribe` subscribers one event at a time. A batch is the events of one atomic
block (savepoint): each FhirRepository write is one, so a service making three writes in its own
transaction delivers three batches, in order, at its commit. Events of a block that is rolled
back are not delivered (Django discards the batch's on_commit callback with the savepoint).
"""

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.db import transaction

logger = structlog.get_logger(__name__)

# The actor of the FhirRepository write under way (`authored_by`), which its events name.
_author: ContextVar[Any] = ContextVar("wintehr_change_author", default=None)


@dataclass(frozen=True, slots=True)
class ResourceChanged:
    resource_type: str
    resource_id: str
    version_id: int
    action: str  # "create", "update" or "delete"
    # The Patients whose compartment the resource is in (before and after the change: a resource
    # moved to another patient concerns both charts), computed at write time.
    patient_ids: tuple[str, ...] = ()
    # Who wrote it (a fhirapi.services.Actor), for subscribers acting for the writer later
    # (a Subscription's owner); None for writes outside FhirRepository.
    author: Any = field(default_factory=_author.get, compare=False)


@contextlib.contextmanager
def authored_by(actor: Any) -> Iterator[None]:
    """The events of the writes inside the block name `actor` as their author."""
    token = _author.set(actor)
    try:
        yield
    finally:
        _author.reset(token)


Subscriber = Callable[[ResourceChanged], None]
BatchSubscriber = Callable[[list[ResourceChanged]], None]
_subscribers: list[Subscriber] = []
_batch_subscribers: list[BatchSubscriber] = []


def subscribe(subscriber: Subscriber) -> Callable[[], None]:
    """Register a subscriber; returns a function that removes it again."""
    _subscribers.append(subscriber)
    return lambda: _subscribers.remove(subscriber)


def subscribe_batch(subscriber: BatchSubscriber) -> Callable[[], None]:
    """Register a subscriber of each committed transaction's events, as one list."""
    _batch_subscribers.append(subscriber)
    return lambda: _batch_subscribers.remove(subscriber)


class _Batch:
    __slots__ = ("callback", "events")

    def __init__(self) -> None:
        self.events: list[ResourceChanged] = []
        self.callback = lambda: deliver(self.events)


def announce_on_commit(event: ResourceChanged) -> None:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:  # autocommit: the write is committed already
        deliver([event])
        return
    batches: dict[tuple, _Batch] = connection.__dict__.setdefault("wintehr_change_batches", {})
    key = tuple(connection.savepoint_ids)
    batch = batches.get(key)
    if batch is None or not _pending(connection, batch):
        if not key:  # a new transaction: the batches of earlier ones are done or discarded
            batches.clear()
        batch = batches[key] = _Batch()
        transaction.on_commit(batch.callback)
    batch.events.append(event)


def _pending(connection, batch: _Batch) -> bool:
    """Is the batch's callback still to run (not run, nor discarded with a rolled-back block)?"""
    return any(entry[1] is batch.callback for entry in connection.run_on_commit)


def deliver(events: list[ResourceChanged]) -> None:
    for batch_subscriber in list(_batch_subscribers):
        try:
            batch_subscriber(events)
        except Exception:  # one failing subscriber must not stop the others, nor the write
            logger.exception("change subscriber failed", subscriber=repr(batch_subscriber))
    for subscriber in list(_subscribers):
        for event in events:
            try:
                subscriber(event)
            except Exception:
                logger.exception("change subscriber failed", subscriber=repr(subscriber))
