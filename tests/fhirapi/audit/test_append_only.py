"""The database itself refuses to change or remove audit records, except the documented purge."""

import pytest
from django.db import DatabaseError, connection, transaction

from fhirapi.audit.events import LOGIN
from fhirapi.audit.models import AuditRecord
from fhirapi.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def record() -> AuditRecord:
    return audit_record(kind=LOGIN, username="someone")


def execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditrecord SET username = 'someone-else' WHERE id = %s",
        "DELETE FROM audit_auditrecord WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_or_remove_a_record(record, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(sql, [record.pk])
    record.refresh_from_db()
    assert record.username == "someone"


def test_the_orm_cannot_either(record):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=record.pk).update(outcome="4")
    with pytest.raises(DatabaseError), transaction.atomic():
        record.delete()
    assert AuditRecord.objects.filter(pk=record.pk, outcome="0").exists()


def test_the_purge_escape_allows_delete_for_its_transaction_only(record):
    with transaction.atomic():
        execute("SET LOCAL wintehr.audit_purge = 'on'")
        with pytest.raises(DatabaseError), transaction.atomic():
            execute("UPDATE audit_auditrecord SET username = 'x' WHERE id = %s", [record.pk])
        assert execute("DELETE FROM audit_auditrecord WHERE id = %s", [record.pk]) == 1
    assert not AuditRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_record_on_its_own_commits_without_waiting_for_the_disk():
    record = audit_record(kind=LOGIN, username="someone")
    assert AuditRecord.objects.filter(pk=record.pk).exists()
    with connection.cursor() as cursor:  # SET LOCAL ended with the record's transaction
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)
