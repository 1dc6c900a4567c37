"""Chained parameters (`subject:Patient.name=peter`, `subject.organization.name=acme`): the
reference's row must point to a current record of a target type that meets the chained criterion.
Each level reads its target records under an alias of its own (`r1`, `r2`...), joined through
the reference's (target_type, target_id), so an index on the chained value can drive the search.
"""

from collections.abc import Callable

from fhirapi.search.models import ReferenceIndex
from fhirapi.search.query import Criterion
from fhirapi.search.scope import Scope
from fhirapi.search.sql import RECORDS, Sql, all_of, in_types, outside_compartments, row_exists

TABLE = ReferenceIndex._meta.db_table
Condition = Callable[[Criterion, Scope], Sql]


def condition(criterion: Criterion, scope: Scope, inner_condition: Condition) -> Sql:
    depth = int(scope.record.removeprefix("r") or 0) + 1
    target = f"r{depth}"
    link = f"l{depth}"
    inner_scope = Scope(
        criterion.target_types,
        scope.base_urls,
        record=target,
        hidden_patients=scope.hidden_patients,
    )
    inner = inner_condition(criterion.chain, inner_scope)  # type: ignore[arg-type]
    where = all_of(
        [
            Sql(f"{target}.resource_type = {link}.target_type"),
            Sql(f"{target}.resource_id = {link}.target_id"),
            Sql(f"NOT {target}.deleted"),
            outside_compartments(target, scope.hidden_patients),
            inner,
        ]
    )
    resolved = Sql(f"EXISTS (SELECT 1 FROM {RECORDS} {target} WHERE {where.text})", where.params)
    targets = in_types(f"{link}.target_type", criterion.target_types)
    return row_exists(TABLE, scope, criterion.code, all_of([targets, resolved]), alias=link)
