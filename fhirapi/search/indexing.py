"""Writing the search index, inside the caller's transaction: the rows of every resource written,
one COPY per table however many resources (the bulk path of transactions), and the removal of a
resource's rows when it is updated or deleted. Table layout: `fhirapi.search.models`."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection

from fhirapi.search.extract import extract_index_values, patient_compartments
from fhirapi.search.index_rows import (
    DateRow,
    IndexValues,
    NumberRow,
    QuantityRow,
    ReferenceRow,
    Row,
    StringRow,
    TokenRow,
    UriRow,
)
from fhirapi.search.models import (
    INDEXED_LENGTH,
    CompartmentIndex,
    DateIndex,
    NumberIndex,
    QuantityIndex,
    ReferenceIndex,
    StringIndex,
    TextIndex,
    TokenIndex,
    UriIndex,
)
from fhirapi.search.references import parse_reference
from fhirapi.search.text_values import content_text, narrative_text, tsvector_literal
from fhirapi.store.bulk_copy import copy_rows
from fhirapi.store.models import ResourceRecord

# The record's own columns answer these; their rows would only repeat them.
NOT_INDEXED = frozenset({"_id", "_lastUpdated"})
_KEY = ("record_id", "resource_type", "param", "position")
INFINITY = Decimal("Infinity")
MINUS_INFINITY = Decimal("-Infinity")


def cut(text: str | None) -> str | None:
    """Indexed text as stored (and as searched): at most INDEXED_LENGTH characters."""
    return text[:INDEXED_LENGTH] if text is not None else None


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    columns: tuple[str, ...]  # after record_id, resource_type, param, position
    values: Callable[[Any], tuple]


def _bounds(value: Decimal | None, low: Decimal | None, high: Decimal | None) -> tuple:
    """A point, or a Range with its open ends as -Infinity/Infinity."""
    if value is not None:
        return value, value
    return (low if low is not None else MINUS_INFINITY), (high if high is not None else INFINITY)


def _number_values(row: NumberRow) -> tuple:
    return _bounds(row.value, row.low, row.high)


def _quantity_values(row: QuantityRow) -> tuple:
    canonical: tuple = (None, None)
    if row.canonical_code is not None:
        canonical = _bounds(row.canonical_value, row.canonical_low, row.canonical_high)
    units = (row.system, row.code, row.unit, row.canonical_code)
    return (*_bounds(row.value, row.low, row.high), *units, *canonical)


_TABLES: dict[type, _Table] = {
    StringRow: _Table(
        StringIndex._meta.db_table,
        ("normalized", "exact"),
        lambda r: (r.normalized[:INDEXED_LENGTH], r.exact),
    ),
    TokenRow: _Table(
        TokenIndex._meta.db_table,
        ("system", "code", "text", "type_system", "type_code"),
        lambda r: (cut(r.system), cut(r.code), r.text, r.type_system, r.type_code),
    ),
    DateRow: _Table(DateIndex._meta.db_table, ("low", "high"), lambda r: (r.low, r.high)),
    NumberRow: _Table(NumberIndex._meta.db_table, ("low", "high"), _number_values),
    QuantityRow: _Table(
        QuantityIndex._meta.db_table,
        (
            "low",
            "high",
            "system",
            "code",
            "unit",
            "canonical_code",
            "canonical_low",
            "canonical_high",
        ),
        _quantity_values,
    ),
    ReferenceRow: _Table(
        ReferenceIndex._meta.db_table,
        ("target_type", "target_id", "url", "identifier_system", "identifier_value"),
        lambda r: (
            r.target_type,
            r.target_id,
            cut(r.url),
            cut(r.identifier_system),
            cut(r.identifier_value),
        ),
    ),
    UriRow: _Table(UriIndex._meta.db_table, ("value",), lambda r: (cut(r.value),)),
}
# The IndexValues lists of plain rows and their tables, in the order positions are counted.
_PLAIN_TABLES = tuple(
    (name, _TABLES[row_class])
    for name, row_class in (
        ("strings", StringRow),
        ("tokens", TokenRow),
        ("dates", DateRow),
        ("numbers", NumberRow),
        ("quantities", QuantityRow),
        ("references", ReferenceRow),
        ("uris", UriRow),
    )
)
_COMPARTMENT_TABLE = CompartmentIndex._meta.db_table
_TEXT_TABLE = TextIndex._meta.db_table
ALL_TABLES = (*(t.name for t in _TABLES.values()), _COMPARTMENT_TABLE, _TEXT_TABLE)


class _Batch:
    """The rows of many resources, per table, ready to COPY."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {name: [] for name in ALL_TABLES}

    def add(self, record_id: int, resource: dict[str, Any]) -> None:
        values = index_values(resource)
        resource_type = values.resource_type
        positions: dict[str, int] = {}
        for list_name, table in _PLAIN_TABLES:  # one loop per table: this runs for every row
            rows = getattr(values, list_name)
            if not rows:
                continue
            out, make = self.rows[table.name], table.values
            for row in rows:
                param = row.param
                if param in NOT_INDEXED:
                    continue
                position = positions.get(param, 0)
                positions[param] = position + 1
                out.append((record_id, resource_type, param, position, *make(row)))
        for position, composite in enumerate(values.composites):
            for part_index, part in enumerate(composite.parts):
                param = f"{composite.param}${part_index}"
                self._add_row(record_id, resource_type, param, position, part)
        compartment = self.rows[_COMPARTMENT_TABLE]
        compartment.extend((record_id, resource_type, p) for p in values.patient_compartments)
        self.rows[_TEXT_TABLE].append(
            (
                record_id,
                resource_type,
                tsvector_literal(narrative_text(resource)),
                tsvector_literal(content_text(resource)),
            )
        )

    def _add_row(self, record_id: int, resource_type: str, param: str, position: int, row: Row):
        table = _TABLES[row.__class__]
        self.rows[table.name].append(
            (record_id, resource_type, param, position, *table.values(row))
        )

    def copy(self) -> None:
        columns = {table.name: (*_KEY, *table.columns) for table in _TABLES.values()}
        columns[_COMPARTMENT_TABLE] = ("record_id", "resource_type", "patient_id")
        columns[_TEXT_TABLE] = ("record_id", "resource_type", "narrative", "content")
        for name, rows in self.rows.items():
            if rows:
                copy_rows(name, columns[name], rows)


def index_values(resource: dict[str, Any]) -> IndexValues:
    """The resource's index values, with absolute references to this server made local
    (`http://this-server/fhir/Patient/1` is indexed as `Patient/1`)."""
    values = extract_index_values(resource)
    base = settings.FHIR_BASE_URL + "/"
    if any(row.url and row.url.startswith(base) for row in values.references):
        values.references = [_local(row, base) for row in values.references]
        values.patient_compartments = patient_compartments(resource, values)
    return values


def _local(row: ReferenceRow, base: str) -> ReferenceRow:
    if not (row.url and row.url.startswith(base)):
        return row
    parsed = parse_reference(row.url[len(base) :])
    if parsed.id is None or parsed.contained:
        return row
    return row._replace(target_type=parsed.type, target_id=parsed.id, url=None)


def index_records(records: Sequence[ResourceRecord]) -> None:
    """Index the current content of `records` (none of which has rows yet)."""
    batch = _Batch()
    for record in records:
        if not record.deleted:
            batch.add(record.pk, record.content)
    batch.copy()


def unindex_record(record_id: int) -> None:
    """Remove every index row of one resource, in one statement."""
    deletes = [
        f"d{i} AS (DELETE FROM {name} WHERE record_id = %s)" for i, name in enumerate(ALL_TABLES)
    ]
    sql = f"WITH {', '.join(deletes[:-1])} DELETE FROM {ALL_TABLES[-1]} WHERE record_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [record_id] * len(ALL_TABLES))


def reindex_record(record: ResourceRecord) -> None:
    unindex_record(record.pk)
    index_records([record])
