"""Parameterised SQL fragments, and the names the search statements use.

Values always travel as parameters (`%s`); only table and column names, which come from this
package, are written into the text. The main statement reads the records table as `r` (a chain's
target records as `r1`, `r2`...).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fhirapi.search.models import CompartmentIndex
from fhirapi.search.scope import Scope
from fhirapi.store.models import ResourceRecord

RECORDS = ResourceRecord._meta.db_table
COMPARTMENTS = CompartmentIndex._meta.db_table


@dataclass(frozen=True, slots=True)
class Sql:
    text: str
    params: tuple[Any, ...] = ()


TRUE = Sql("TRUE")
FALSE = Sql("FALSE")


def join(parts: Iterable[Sql], separator: str) -> Sql:
    parts = list(parts)
    return Sql(separator.join(p.text for p in parts), tuple(x for p in parts for x in p.params))


def all_of(parts: Iterable[Sql]) -> Sql:
    parts = [p for p in parts if p is not TRUE]
    if not parts:
        return TRUE
    return parts[0] if len(parts) == 1 else join((wrap(p) for p in parts), " AND ")


def any_of(parts: Iterable[Sql]) -> Sql:
    parts = [p for p in parts if p is not FALSE]
    if not parts:
        return FALSE
    return parts[0] if len(parts) == 1 else wrap(join((wrap(p) for p in parts), " OR "))


def negate(part: Sql) -> Sql:
    return Sql(f"NOT ({part.text})", part.params)


def wrap(part: Sql) -> Sql:
    return Sql(f"({part.text})", part.params)


def in_types(column: str, resource_types: Sequence[str]) -> Sql:
    """`column` is one of the resource types (a single `=` when there is one)."""
    if len(resource_types) == 1:
        return Sql(f"{column} = %s", (resource_types[0],))
    return Sql(f"{column} = ANY(%s)", (list(resource_types),))


def like_prefix(text: str) -> str:
    """A LIKE pattern matching strings that start with `text`."""
    return like_escape(text) + "%"


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def row_exists(table: str, scope: Scope, param: str, condition: Sql, alias: str = "t") -> Sql:
    """Some `table` row of the parameter, on the scope's record, meets `condition`."""
    where = all_of(
        [
            Sql(f"{alias}.record_id = {scope.record}.id"),
            in_types(f"{alias}.resource_type", scope.resource_types),
            Sql(f"{alias}.param = %s", (param,)),
            condition,
        ]
    )
    return Sql(f"EXISTS (SELECT 1 FROM {table} {alias} WHERE {where.text})", where.params)


def outside_compartments(record: str, patient_ids: tuple[str, ...]) -> Sql:
    """The record (alias `record`) is in none of these Patients' compartments."""
    if not patient_ids:
        return TRUE
    return Sql(
        f"NOT EXISTS (SELECT 1 FROM {COMPARTMENTS} k WHERE k.record_id = {record}.id"
        " AND k.patient_id = ANY(%s))",
        (list(patient_ids),),
    )
