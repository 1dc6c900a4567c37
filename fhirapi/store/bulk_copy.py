"""Inserting many new records with COPY, and their versions copied from them: the bulk path of
transactions.

Measured on the Synthea ingest: Django's bulk_create (an UNNEST of JSON arrays) spends ~0.17 ms a
resource on each of the two tables, most of it escaping JSON into array literals in Python; COPY of
the same rows takes ~0.02 ms. Record ids are taken from the table's sequence first, so the records
carry their primary keys as bulk_create would have set them.
"""

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from django.db import connection

from fhirapi.store.models import ResourceRecord, ResourceVersion


def records_copy(records: list[ResourceRecord]) -> None:
    """Insert unsaved records, setting their primary keys."""
    table = ResourceRecord._meta.db_table
    with connection.wrap_database_errors, connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(records)],
        )
        for record, (pk,) in zip(records, cursor.fetchall(), strict=True):
            record.pk = pk
            record._state.adding = False
            record._state.db = connection.alias
    columns = ("id", "resource_type", "resource_id", "version_id", "last_updated", "deleted")
    rows = (
        (
            r.pk,
            r.resource_type,
            r.resource_id,
            r.version_id,
            r.last_updated,
            r.deleted,
            _json(r.content),
        )
        for r in records
    )
    copy_rows(table, (*columns, "content"), rows)


def record_versions_copy(records: list[ResourceRecord], *, method: str) -> None:
    """Insert the version row of each saved record as it now is, copied from the record's row:
    its content is neither sent nor parsed again, and stays compressed if it was."""
    columns = "resource_type, resource_id, version_id, last_updated, deleted, content"
    with connection.wrap_database_errors, connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ResourceVersion._meta.db_table} (record_id, method, {columns}) "
            f"SELECT id, %s, {columns} FROM {ResourceRecord._meta.db_table} "
            "WHERE id = ANY(%s) ORDER BY id",
            [method, [record.pk for record in records]],
        )


def _json(content: dict[str, Any] | None) -> str | None:
    return orjson.dumps(content).decode() if content is not None else None


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """COPY `rows` into `table` in the current transaction (errors as Django's)."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)
