"""`_sort`: one SQL expression per key, evaluated on the record `r` (a parameter with several
values sorts by its lowest ascending, its highest descending); resources without a value come
last either way, and the record id breaks ties so that every order is total."""

from dataclasses import dataclass

from fhirapi.search.conditions import MODULES
from fhirapi.search.query import SortKey
from fhirapi.search.registry import ParamType
from fhirapi.search.sql import Sql

_REFERENCE = "COALESCE(s.target_type || '/' || s.target_id, s.url)"
# Per parameter type: the column sorted on (ascending, descending) and the kind of its values.
_COLUMNS: dict[ParamType, tuple[str, str, str]] = {
    ParamType.STRING: ("s.normalized", "s.normalized", "text"),
    ParamType.TOKEN: ("s.code", "s.code", "text"),
    ParamType.DATE: ("s.low", "s.high", "datetime"),
    ParamType.NUMBER: ("s.low", "s.high", "decimal"),
    ParamType.QUANTITY: ("s.low", "s.high", "decimal"),
    ParamType.REFERENCE: (_REFERENCE, _REFERENCE, "text"),
    ParamType.URI: ("s.value", "s.value", "text"),
}
_RECORD_COLUMNS = {"_id": ("r.resource_id", "text"), "_lastUpdated": ("r.last_updated", "datetime")}


@dataclass(frozen=True, slots=True)
class SortColumn:
    expression: Sql
    descending: bool
    kind: str  # text, datetime or decimal: how a paging cursor carries its values


def sort_columns(keys: tuple[SortKey, ...]) -> list[SortColumn]:
    return [_column(key) for key in keys]


def _column(key: SortKey) -> SortColumn:
    code = key.param.code
    if code in _RECORD_COLUMNS:
        expression, kind = _RECORD_COLUMNS[code]
        return SortColumn(Sql(expression), key.descending, kind)
    ascending, descending, kind = _COLUMNS[key.param.type]
    column = descending if key.descending else ascending
    aggregate = "max" if key.descending else "min"
    table = MODULES[key.param.type].TABLE
    expression = Sql(
        f"(SELECT {aggregate}({column}) FROM {table} s WHERE s.record_id = r.id AND s.param = %s)",
        (code,),
    )
    return SortColumn(expression, key.descending, kind)


def order_by(columns: list[SortColumn], *, reverse: bool = False) -> Sql:
    """ORDER BY the columns (all turned round when `reverse`), then the record id."""
    parts, params = [], []
    for column in columns:
        descending = column.descending != reverse
        nulls = "FIRST" if reverse else "LAST"
        parts.append(f"{column.expression.text} {'DESC' if descending else 'ASC'} NULLS {nulls}")
        params.extend(column.expression.params)
    parts.append(f"r.id {'DESC' if reverse else 'ASC'}")
    return Sql(", ".join(parts), tuple(params))
