"""The SQL condition, on the record `r`, for each criterion of a query: one module per parameter
type builds the match of one value; here they are ORed within a criterion and wrapped in the
EXISTS over the type's table. `:missing` and `:not` are the same for every type."""

from types import ModuleType

from fhirapi.errors import InvalidSearch
from fhirapi.search import (
    sql_chain,
    sql_composite,
    sql_date,
    sql_has,
    sql_number,
    sql_quantity,
    sql_record,
    sql_reference,
    sql_string,
    sql_text,
    sql_token,
    sql_uri,
)
from fhirapi.search.query import FULL_TEXT, HAS, Criterion
from fhirapi.search.registry import ParamType
from fhirapi.search.scope import Scope
from fhirapi.search.sql import TRUE, Sql, all_of, any_of, negate, row_exists

NEGATING = frozenset({"not", "not-in"})  # the negation of the plain (or `:in`) match
MODULES: dict[ParamType, ModuleType] = {
    ParamType.STRING: sql_string,
    ParamType.TOKEN: sql_token,
    ParamType.DATE: sql_date,
    ParamType.NUMBER: sql_number,
    ParamType.QUANTITY: sql_quantity,
    ParamType.REFERENCE: sql_reference,
    ParamType.URI: sql_uri,
}


def query_condition(criteria: tuple[Criterion, ...], scope: Scope) -> Sql:
    return all_of(criterion_condition(c, scope) for c in criteria)


def criterion_condition(criterion: Criterion, scope: Scope) -> Sql:
    if any(value == "" for value in criterion.values):  # `a,,b`
        raise InvalidSearch(f"{criterion.name}: empty value in a list", expression=[criterion.name])
    if criterion.code == HAS:
        return sql_has.condition(criterion, scope, criterion_condition)
    if criterion.chain is not None:
        return sql_chain.condition(criterion, scope, criterion_condition)
    if criterion.code in sql_record.RECORD_PARAMS:
        return sql_record.condition(criterion, scope)
    if criterion.code in FULL_TEXT:
        return sql_text.condition(criterion, scope)
    if criterion.modifier == "missing":
        return _missing(criterion, scope)
    if criterion.param.type == ParamType.COMPOSITE:
        return sql_composite.condition(criterion, scope, MODULES)
    module = MODULES[criterion.param.type]
    modifier = criterion.modifier
    match = any_of(
        module.value_condition("t", raw, criterion.name, modifier, scope)
        for raw in criterion.values
    )
    found = row_exists(module.TABLE, scope, criterion.code, match)
    return negate(found) if modifier in NEGATING else found


def _missing(criterion: Criterion, scope: Scope) -> Sql:
    if criterion.values not in (("true",), ("false",)):
        raise InvalidSearch(
            f"{criterion.name}: expected true or false", expression=[criterion.name]
        )
    param = criterion.param
    if param.type == ParamType.COMPOSITE:
        table = MODULES[param.components[0].type].TABLE  # type: ignore[index]
        code = sql_composite.part_param(param.code, 0)
    else:
        table, code = MODULES[param.type].TABLE, param.code
    found = row_exists(table, scope, code, TRUE)
    return negate(found) if criterion.values == ("true",) else found
