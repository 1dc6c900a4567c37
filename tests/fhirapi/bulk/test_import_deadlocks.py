"""Bundles whose conditional entries lock the same queries: two imports side by side do not
deadlock (a Bundle's locks are taken in one order), and a Bundle PostgreSQL aborts to break a
deadlock with another writer is imported again, or reported failed with nothing written.

The imports run in threads, each with its own database connection, so these tests commit
(transactional_db). This test's connection plays the other writer: it holds the locks (read from
pg_locks, not recomputed) across transactions, and waits for the import to wait for them."""

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, transaction

from fhirapi.bulk.conditional import ReferenceResolver
from fhirapi.bulk.importer import FileResult, Importer
from fhirapi.bulk.writer import TRANSACTION_ATTEMPTS
from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord

SYSTEM = "urn:test:org"
RETRIED = "transaction aborted (deadlock detected)"


@pytest.fixture
def other_writer(transactional_db) -> Iterator[None]:
    """This test's connection detects a deadlock last: the import is the one PostgreSQL aborts."""
    with connection.cursor() as cursor:
        cursor.execute("SET deadlock_timeout = '1min'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET deadlock_timeout")


def organization(value: str) -> dict:
    return {"resourceType": "Organization", "identifier": [{"system": SYSTEM, "value": value}]}


def bundle_file(directory: Path, number: int, values: tuple[str, ...]) -> Path:
    """A transaction Bundle: an Organization created unless `identifier=urn:test:org|value`
    matches, for each value in that order, then a Patient managed by the first of them."""
    entries = [
        {
            "fullUrl": _urn(number, index),
            "resource": organization(value),
            "request": {
                "method": "POST",
                "url": "Organization",
                "ifNoneExist": f"identifier={SYSTEM}|{value}",
            },
        }
        for index, value in enumerate(values)
    ]
    patient = {"resourceType": "Patient", "managingOrganization": {"reference": _urn(number, 0)}}
    entries.append({"fullUrl": _urn(number, 9), "resource": patient, "request": {"method": "POST"}})
    path = directory / f"bundle{number}.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}))
    return path


def _urn(number: int, index: int) -> str:
    return f"urn:uuid:00000000-0000-4000-8000-{number:06d}{index:06d}"


def in_thread(work: Callable[[], list[FileResult]]) -> Future:
    def run() -> list[FileResult]:
        try:
            return work()
        finally:
            connection.close()  # the thread's own

    executor = ThreadPoolExecutor(1)
    future = executor.submit(run)
    executor.shutdown(wait=False)
    return future


def importing(path: Path) -> Future:
    return in_thread(lambda: Importer().import_paths([path]))


def lock_key(value: str) -> int:
    """The advisory lock an import takes for the condition on `value`."""
    with transaction.atomic(), connection.cursor() as cursor:
        ReferenceResolver(FhirRepository()).lock_queries([("Organization", _query(value))])
        cursor.execute(
            "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks"
            " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        [(key,)] = cursor.fetchall()
    return key


def _query(value: str) -> str:
    return f"identifier={SYSTEM}|{value}"


@contextmanager
def session_lock(key: int) -> Iterator[None]:
    """Hold the lock, whatever transactions run meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def wait_for_waiting_imports(count: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == count:
                return
        time.sleep(0.01)
    raise AssertionError(f"{count} import(s) never waited for a lock")


def stored(resource_type: str) -> dict[str, dict]:
    records = ResourceRecord.objects.filter(resource_type=resource_type)
    return {record.resource_id: record.content for record in records}


def managing_organizations() -> list[str]:
    return [p["managingOrganization"]["reference"] for p in stored("Patient").values()]


def test_two_bundles_locking_two_conditions_in_opposite_orders_are_both_imported(
    transactional_db, tmp_path: Path, caplog
):
    first = bundle_file(tmp_path, 1, ("1", "2"))
    second = bundle_file(tmp_path, 2, ("2", "1"))
    with transaction.atomic():  # both imports wait here, then start at once
        ReferenceResolver(FhirRepository()).lock_queries(
            [("Organization", _query("1")), ("Organization", _query("2"))]
        )
        imports = [importing(first), importing(second)]
        wait_for_waiting_imports(2)

    results = [result for future in imports for result in future.result(timeout=60)]

    assert [result.status for result in results] == ["ok", "ok"]
    assert RETRIED not in caplog.text  # locked in one order: no deadlock to break
    organizations = stored("Organization")
    assert sorted(o["identifier"][0]["value"] for o in organizations.values()) == ["1", "2"]
    assert len(stored("Patient")) == 2
    assert all(
        ref.removeprefix("Organization/") in organizations for ref in managing_organizations()
    )


def test_a_bundle_aborted_by_a_deadlock_is_imported_again(other_writer, tmp_path: Path, caplog):
    """The deadlock comes as the Bundle is written, after its references were rewritten."""
    path = bundle_file(tmp_path, 1, ("1", "2"))
    patient = {"resourceType": "Patient", "id": _urn(1, 9).removeprefix("urn:uuid:")}
    repository = FhirRepository()
    with transaction.atomic():
        repository.create(patient, resource_id=patient["id"])  # the Bundle's Patient, not yet
        future = importing(path)  # committed: the import, holding its locks, waits to write it
        wait_for_waiting_imports(1)
        ReferenceResolver(repository).lock_queries([("Organization", _query("1"))])  # deadlock
        mine = repository.create(organization("1")).stored.resource_id  # "1" now matches

    [result] = future.result(timeout=60)

    assert result.status == "ok"
    assert (result.counts.created, result.counts.updated) == (1, 1)  # Organization "2", Patient
    assert RETRIED in caplog.text
    assert sorted(stored("Organization")) == sorted([mine, _urn(1, 1).removeprefix("urn:uuid:")])
    assert managing_organizations() == [f"Organization/{mine}"]  # what matched on the new attempt


def test_a_bundle_deadlocked_on_every_attempt_is_reported_failed_with_nothing_written(
    other_writer, tmp_path: Path, caplog
):
    path = bundle_file(tmp_path, 1, ("1", "2"))
    one, two = lock_key("1"), lock_key("2")
    with session_lock(two):
        future = importing(path)
        for _attempt in range(TRANSACTION_ATTEMPTS):
            wait_for_waiting_imports(1)
            with session_lock(one):
                pass

    [result] = future.result(timeout=60)

    assert result.failure == f"deadlock detected, on each of {TRANSACTION_ATTEMPTS} attempts"
    assert caplog.text.count(RETRIED) == TRANSACTION_ATTEMPTS - 1
    assert not ResourceRecord.objects.exists()
