"""Paging by keyset: a `next` link carries the sort values and record id of the last entry of its
page, a `previous` link those of the first, so pages stay right while resources are created,
changed or deleted between requests (no entry is skipped or shown twice because others moved).

The cursor (`_page`) is opaque to clients: base64url of a small JSON document.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fhirapi.errors import InvalidSearch
from fhirapi.search.sorting import SortColumn
from fhirapi.search.sql import FALSE, Sql, all_of, any_of

AFTER = "after"
BEFORE = "before"


@dataclass(frozen=True, slots=True)
class Cursor:
    direction: str  # AFTER: the page after this entry; BEFORE: the page before it
    values: tuple[Any, ...]  # the entry's sort values
    record_id: int


def encode_cursor(cursor: Cursor) -> str:
    values = [str(v) if isinstance(v, Decimal) else _plain(v) for v in cursor.values]
    document = json.dumps([cursor.direction, values, cursor.record_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def decode_cursor(text: str, columns: list[SortColumn]) -> Cursor:
    try:
        padded = text + "=" * (-len(text) % 4)
        direction, values, record_id = json.loads(base64.urlsafe_b64decode(padded))
        if direction not in (AFTER, BEFORE) or len(values) != len(columns):
            raise ValueError(direction)
        typed = tuple(_typed(v, c.kind) for v, c in zip(values, columns, strict=True))
        return Cursor(direction, typed, int(record_id))
    except (ValueError, TypeError, InvalidOperation, binascii.Error) as exc:
        raise InvalidSearch(
            "_page: not a paging link of this search", expression=["_page"]
        ) from exc


def _typed(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    return str(value)


def keyset_condition(columns: list[SortColumn], cursor: Cursor) -> Sql:
    """The entries beyond the cursor, in the order of `sorting.order_by`."""
    before = cursor.direction == BEFORE
    alternatives, same_so_far = [], []
    for column, value in zip(columns, cursor.values, strict=True):
        alternatives.append(all_of([*same_so_far, _beyond(column, value, before)]))
        same_so_far.append(_same(column, value))
    last = Sql(f"r.id {'<' if before else '>'} %s", (cursor.record_id,))
    alternatives.append(all_of([*same_so_far, last]))
    return any_of(alternatives)


def _same(column: SortColumn, value: Any) -> Sql:
    expression = column.expression
    if value is None:
        return Sql(f"{expression.text} IS NULL", expression.params)
    return Sql(f"{expression.text} = %s", (*expression.params, value))


def _beyond(column: SortColumn, value: Any, before: bool) -> Sql:
    """Strictly after (or before) `value` on this column; no value sorts last."""
    expression = column.expression
    greater = column.descending == before  # ascending and after, or descending and before
    operator = ">" if greater else "<"
    if before:
        if value is None:
            return Sql(f"{expression.text} IS NOT NULL", expression.params)
        return Sql(f"{expression.text} {operator} %s", (*expression.params, value))
    if value is None:
        return FALSE
    text = f"({expression.text} {operator} %s OR {expression.text} IS NULL)"
    return Sql(text, (*expression.params, value, *expression.params))
