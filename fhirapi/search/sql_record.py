"""Parameters answered by the record's own columns: `_id` (token) and `_lastUpdated` (date, a
point in time at millisecond precision)."""

from fhirapi.errors import InvalidSearch
from fhirapi.search.query import Criterion
from fhirapi.search.query_values import split_prefix, unescape
from fhirapi.search.scope import Scope
from fhirapi.search.sql import FALSE, TRUE, Sql, any_of, negate
from fhirapi.search.sql_date import ordered_condition, search_range

RECORD_PARAMS = frozenset({"_id", "_lastUpdated"})


def condition(criterion: Criterion, scope: Scope) -> Sql:
    record = scope.record
    if criterion.modifier == "missing":
        return TRUE if criterion.values == ("false",) else FALSE
    if criterion.code == "_id":
        if criterion.modifier not in (None, "not"):
            raise InvalidSearch(f"{criterion.name} is not supported", expression=[criterion.name])
        ids = Sql(f"{record}.resource_id = ANY(%s)", ([unescape(v) for v in criterion.values],))
        return negate(ids) if criterion.modifier == "not" else ids
    alternatives = []
    for raw in criterion.values:
        prefix, text = split_prefix(criterion.name, unescape(raw))
        low, high = search_range(criterion.name, text)
        column = f"{record}.last_updated"
        alternatives.append(ordered_condition(prefix, column, column, low, high))
    return any_of(alternatives)
