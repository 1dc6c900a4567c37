"""Reverse chaining (`_has:Observation:patient:code=1234-5`): some current resource of the source
type, whose reference parameter points to the record, meets the inner criterion (itself possibly
another `_has`, or a chain). The source records are read under their own alias (`r1`, `r2`...,
numbered like chains by depth), joined through the reference rows' (target_type, target_id).
Sources in a hidden Patient's compartment (`Scope.hidden_patients`) never count.
"""

from collections.abc import Callable

from fhirapi.search.models import ReferenceIndex
from fhirapi.search.query import Criterion
from fhirapi.search.scope import Scope
from fhirapi.search.sql import RECORDS, Sql, all_of, in_types, outside_compartments

TABLE = ReferenceIndex._meta.db_table
Condition = Callable[[Criterion, Scope], Sql]


def condition(criterion: Criterion, scope: Scope, inner_condition: Condition) -> Sql:
    depth = int(scope.record.removeprefix("r") or 0) + 1
    source = f"r{depth}"
    link = f"l{depth}"
    inner_scope = Scope(
        criterion.target_types,
        scope.base_urls,
        record=source,
        hidden_patients=scope.hidden_patients,
    )
    inner = inner_condition(criterion.chain, inner_scope)  # type: ignore[arg-type]
    where = all_of(
        [
            Sql(f"{link}.target_id = {scope.record}.resource_id"),
            Sql(f"{link}.target_type = {scope.record}.resource_type"),
            Sql(f"{link}.param = %s", (criterion.param.code,)),
            in_types(f"{link}.resource_type", criterion.target_types),
            Sql(f"NOT {source}.deleted"),
            outside_compartments(source, scope.hidden_patients),
            inner,
        ]
    )
    text = (
        f"EXISTS (SELECT 1 FROM {TABLE} {link} JOIN {RECORDS} {source}"
        f" ON {source}.id = {link}.record_id WHERE {where.text})"
    )
    return Sql(text, where.params)
