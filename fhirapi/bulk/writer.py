"""Writing imported resources that carry their ids: new ones are created together in one bulk
insert (FhirRepository.create_many), changed ones are updated (a new version), and those whose
content equals the current version's (meta.versionId and meta.lastUpdated aside) are left alone,
so importing the same data twice writes nothing the second time."""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from psycopg.errors import DeadlockDetected, SerializationFailure

from fhirapi.bulk import records
from fhirapi.errors import FhirError
from fhirapi.services import FhirRepository

SERVER_META = ("versionId", "lastUpdated")
TRANSACTION_ATTEMPTS = 3  # of a transaction PostgreSQL aborted to break a deadlock
RETRIED = (DeadlockDetected, SerializationFailure)

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def add(self, other: "WriteCounts") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def comparable(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without what the server writes into it (version and time)."""
    body = {key: value for key, value in resource.items() if key != "meta"}
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in SERVER_META}
    if meta:
        body["meta"] = meta
    return body


def last_of_each(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One resource per (type, id): the last one wins, as it would written in order."""
    latest = {_key(r): r for r in resources}
    return list(latest.values())


@transaction.atomic
def resources_upsert(repository: FhirRepository, resources: list[dict[str, Any]]) -> WriteCounts:
    """Write resources that all have ids, in one transaction. A FhirError names, as `label`, the
    index in `resources` of the resource that failed; nothing of the call is then written."""
    _commit_without_waiting_for_disk()
    current = records.current_contents((r["resourceType"], r["id"]) for r in resources)
    counts = WriteCounts()
    new: list[tuple[dict[str, Any], str]] = []
    new_labels: list[int] = []
    changed: list[int] = []
    # Written in key order: two imports writing the same resources lock their rows in one order.
    for index in sorted(range(len(resources)), key=lambda i: _key(resources[i])):
        resource = resources[index]
        key = _key(resource)
        if key not in current:
            new.append((resource, resource["id"]))
            new_labels.append(index)
        elif current[key] is not None and comparable(current[key]) == comparable(resource):
            counts.unchanged += 1
        else:
            changed.append(index)
    if new:
        repository.create_many(new, labels=new_labels)
        counts.created = len(new)
    for index in changed:
        resource = resources[index]
        try:
            repository.update(resource["resourceType"], resource["id"], resource)
        except FhirError as exc:
            exc.label = index  # type: ignore[attr-defined]
            raise
    counts.updated = len(changed)
    return counts


def resources_upsert_retrying(
    repository: FhirRepository, resources: list[dict[str, Any]]
) -> WriteCounts:
    """resources_upsert, once more if a concurrent import (another worker) created one of the
    same resources first: the insert then fails on the unique (type, id) key, and written again
    the resource is seen as existing (updated or unchanged), never duplicated."""
    try:
        return resources_upsert(repository, resources)
    except IntegrityError:
        return resources_upsert(repository, resources)


def transaction_retrying(work: Callable[[], T]) -> T:
    """work(), a whole transaction, run again (up to TRANSACTION_ATTEMPTS times, after a short
    random pause) when PostgreSQL aborted it to break a deadlock with a concurrent writer (or a
    serialization failure). Inside an open transaction it runs once: that one is aborted too."""
    attempt = 1
    while True:
        try:
            return work()
        except OperationalError as exc:
            if not isinstance(exc.__cause__, RETRIED) or connection.in_atomic_block:
                raise
            reason = str(exc).splitlines()[0]
            if attempt == TRANSACTION_ATTEMPTS:
                raise OperationalError(f"{reason}, on each of {attempt} attempts") from exc
            logger.warning(
                "transaction aborted (%s), attempt %d: running it again", reason, attempt
            )
            time.sleep(random.uniform(0.05, 0.2) * attempt)  # out of step with the other writer
            attempt += 1


def _key(resource: dict[str, Any]) -> tuple[str, str]:
    return resource["resourceType"], resource["id"]


def _commit_without_waiting_for_disk() -> None:
    """An import commits many transactions in a row; each need not wait for its WAL flush
    (PostgreSQL's synchronous_commit, for this transaction only). A crash of PostgreSQL itself
    can then lose the last fraction of a second of imported data, never half a transaction, and
    importing the same files again (idempotent) restores it."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
