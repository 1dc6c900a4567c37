"""Composite parameters (`code-value-quantity=http://loinc.org|8480-6$gt100`). Part `i` of an
indexed composite row sits in its component's table as parameter `code$i`, at the position of the
composite row (see `indexing`), so a value matches when the rows of one position match each part."""

from types import ModuleType

from fhirapi.errors import InvalidSearch
from fhirapi.search.query import Criterion
from fhirapi.search.query_values import split_escaped
from fhirapi.search.registry import ParamType
from fhirapi.search.scope import Scope
from fhirapi.search.sql import Sql, all_of, any_of, in_types, join


def part_param(code: str, index: int) -> str:
    return f"{code}${index}"


def condition(criterion: Criterion, scope: Scope, modules: dict[ParamType, ModuleType]) -> Sql:
    components = criterion.param.components
    parts = [modules[c.type] for c in components]  # type: ignore[index]
    alternatives = []
    for raw in criterion.values:
        values = split_escaped(raw, "$")
        if len(values) != len(components):
            raise InvalidSearch(
                f"{criterion.name}: {raw!r} needs {len(components)} parts separated by '$'",
                expression=[criterion.name],
            )
        alternatives.append(
            all_of(
                part.value_condition(f"c{i}", value, criterion.name, None, scope)
                for i, (part, value) in enumerate(zip(parts, values, strict=True))
            )
        )
    code = criterion.param.code
    joins = join(
        (
            Sql(
                f"JOIN {part.TABLE} c{i} ON c{i}.record_id = c0.record_id AND c{i}.param = %s"
                f" AND c{i}.position = c0.position",
                (part_param(code, i),),
            )
            for i, part in enumerate(parts)
            if i > 0
        ),
        " ",
    )
    where = all_of(
        [
            Sql(f"c0.record_id = {scope.record}.id"),
            in_types("c0.resource_type", scope.resource_types),
            Sql("c0.param = %s", (part_param(code, 0),)),
            any_of(alternatives),
        ]
    )
    return Sql(
        f"EXISTS (SELECT 1 FROM {parts[0].TABLE} c0 {joins.text} WHERE {where.text})",
        joins.params + where.params,
    )
