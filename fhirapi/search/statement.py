"""The statements of one search: the page of matches, their count, and the planner's estimate.

Every statement reads the current, undeleted records of the searched types (`r`), ANDs the
criteria's conditions, and keeps only resources in the required Patient compartments.
"""

import json
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection

from fhirapi.search.conditions import query_condition
from fhirapi.search.paging import BEFORE, Cursor, keyset_condition
from fhirapi.search.query import SearchQuery
from fhirapi.search.scope import Scope
from fhirapi.search.sorting import SortColumn, order_by
from fhirapi.search.sql import COMPARTMENTS, RECORDS, Sql, all_of, in_types, outside_compartments
from fhirapi.store.values import StoredResource

_RECORD_COLUMNS = "r.id, r.resource_type, r.resource_id, r.version_id, r.last_updated, r.content"


@dataclass(frozen=True, slots=True)
class Match:
    stored: StoredResource
    record_id: int
    sort_values: tuple[Any, ...]


def matching(query: SearchQuery, scope: Scope, compartments: tuple[str, ...]) -> Sql:
    """The WHERE clause: the records the query matches."""
    return all_of(
        [
            in_types("r.resource_type", scope.resource_types),
            Sql("NOT r.deleted"),
            *(_in_compartment(patient_id) for patient_id in compartments),
            outside_compartments("r", scope.hidden_patients),
            query_condition(query.criteria, scope),
        ]
    )


def _in_compartment(patient_id: str) -> Sql:
    return Sql(
        f"EXISTS (SELECT 1 FROM {COMPARTMENTS} k WHERE k.record_id = r.id AND k.patient_id = %s)",
        (patient_id,),
    )


def page_statement(
    where: Sql,
    columns: list[SortColumn],
    *,
    limit: int | None,
    offset: int = 0,
    cursor: Cursor | None = None,
) -> Sql:
    """SELECT up to `limit` matches in sort order (beyond the cursor; before it: in reverse)."""
    reverse = cursor is not None and cursor.direction == BEFORE
    if cursor is not None:
        where = all_of([where, keyset_condition(columns, cursor)])
    sort_values = [c.expression for c in columns]
    select = ", ".join([_RECORD_COLUMNS, *(e.text for e in sort_values)])
    order = order_by(columns, reverse=reverse)
    text = (
        f"SELECT {select} FROM {RECORDS} r WHERE {where.text} ORDER BY {order.text}"
        " LIMIT %s OFFSET %s"
    )
    params = (*(p for e in sort_values for p in e.params), *where.params, *order.params)
    return Sql(text, (*params, limit, offset))


def page_of_matches(
    where: Sql,
    columns: list[SortColumn],
    *,
    limit: int | None,
    offset: int = 0,
    cursor: Cursor | None = None,
) -> list[Match]:
    """Up to `limit` matches in sort order (beyond the cursor: before it, still in sort order)."""
    statement = page_statement(where, columns, limit=limit, offset=offset, cursor=cursor)
    matches = [match_from_row(row) for row in fetch_rows(statement.text, statement.params)]
    return matches[::-1] if cursor is not None and cursor.direction == BEFORE else matches


def match_from_row(row: tuple) -> Match:
    record_id, resource_type, resource_id, version_id, last_updated, content = row[:6]
    if isinstance(content, str):
        content = orjson.loads(content)
    stored = StoredResource(resource_type, resource_id, version_id, last_updated, False, content)
    return Match(stored, record_id, tuple(row[6:]))


def count_matches(where: Sql, *, limit: int | None = None) -> int:
    """How many records match (at most `limit` + 1 when there is a limit)."""
    inner = f"SELECT 1 FROM {RECORDS} r WHERE {where.text}"
    if limit is None:
        return fetch_rows(f"SELECT count(*) FROM ({inner}) m", where.params)[0][0]
    return fetch_rows(f"SELECT count(*) FROM ({inner} LIMIT %s) m", (*where.params, limit + 1))[0][
        0
    ]


def estimate_matches(where: Sql) -> int:
    """The planner's estimate of the number of matches (cheap, not exact)."""
    rows = fetch_rows(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {RECORDS} r WHERE {where.text}", where.params
    )
    plan = rows[0][0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def fetch_rows(text: str, params: tuple) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        return cursor.fetchall()
