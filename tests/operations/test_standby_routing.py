"""Reads on a real streaming standby: runs in test_standby.py's subprocess, where DATABASE_URL is a
throwaway primary and DATABASE_REPLICA_URLS its hot standby (tests/_postgres_cluster.py), both
holding the database `wintehr` migrated here. Skipped in an ordinary run."""

import os

import pytest
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext

from clinical.roles import NURSE, ensure_role_groups
from fhirapi.services import FhirRepository
from tests.fhirapi.conftest import FhirClient, patient

pytestmark = pytest.mark.skipif(
    os.environ.get("WINTEHR_STANDBY_CHECKS") != "1",
    reason="runs in test_standby.py's subprocess, against a real standby",
)


@pytest.fixture(scope="module", autouse=True)
def migrated(django_db_blocker):
    """The primary's own database (no test copy: a test mirror would bypass the standby)."""
    with django_db_blocker.unblock():
        call_command("migrate", verbosity=0)
        yield


def value(alias: str, sql: str, *params: object) -> object:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def standby_caught_up() -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    written = value("default", "SELECT pg_current_wal_lsn()")
    for _ in range(3000):
        if value("replica1", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", written):
            return
    raise AssertionError(f"the standby did not replay up to {written}")


def store_statements(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries if "fhirapi_" in query["sql"]]


def client_for(user) -> FhirClient:
    client = FhirClient()
    client.force_authenticate(user)
    return client


def test_the_replica_alias_is_a_streaming_standby():
    assert value("replica1", "SELECT pg_is_in_recovery()") is True
    assert value("default", "SELECT pg_is_in_recovery()") is False
    assert value("replica1", "SELECT status FROM pg_stat_wal_receiver") == "streaming"


def test_writes_go_to_the_primary_and_reads_to_the_standby():
    with CaptureQueriesContext(connections["replica1"]) as standby:
        stored = FhirRepository().create(patient("Standby")).stored
    assert len(standby) == 0
    standby_caught_up()
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica1"]) as standby,
    ):
        read = FhirRepository().read("Patient", stored.resource_id)
        found = FhirRepository().search_bundle("Patient", [("family", "Standby")], base_url="x")
    assert read.resource_id == stored.resource_id
    assert [e["resource"]["id"] for e in found["entry"]] == [stored.resource_id]
    assert len(store_statements(standby)) >= 2 and store_statements(primary) == []


def test_the_writer_reads_its_write_while_the_standby_lags():
    nurses = ensure_role_groups()[NURSE.name]
    writer, reader = (
        nurses.user_set.create(username=name) for name in ("standby-writer", "standby-reader")
    )
    value("replica1", "SELECT pg_wal_replay_pause()")  # the standby falls behind, on purpose
    try:
        created = client_for(writer).fhir("POST", "/fhir/Patient", patient("Lagging"))
        assert created.status_code == 201, created.content
        path = f"/fhir/Patient/{created.json()['id']}"
        assert client_for(writer).get(path).status_code == 200  # pinned to the primary
        assert client_for(reader).get(path).status_code == 404  # the standby has not got it
    finally:
        value("replica1", "SELECT pg_wal_replay_resume()")
    standby_caught_up()
    assert client_for(reader).get(path).status_code == 200
