"""Quantity parameters: `[prefix]number|system|code` with the number semantics of `sql_number`.
`number` alone compares any unit; `number||code` matches the code or the unit text;
`number|http://unitsofmeasure.org|code` compares in canonical UCUM units (5.4|..|mg finds 0.0054 g);
another system compares that system and code as written."""

from decimal import Decimal

from fhirapi.errors import InvalidSearch
from fhirapi.search.models import QuantityIndex
from fhirapi.search.query_values import parse_decimal, split_escaped, split_prefix, unescape
from fhirapi.search.scope import Scope
from fhirapi.search.sql import Sql, all_of
from fhirapi.search.sql_number import ordered_condition
from fhirapi.search.ucum_units import UCUM_SYSTEM, canonical_unit

TABLE = QuantityIndex._meta.db_table


def value_condition(alias: str, raw: str, name: str, modifier: str | None, scope: Scope) -> Sql:
    parts = [unescape(p) for p in split_escaped(raw, "|")]
    if len(parts) not in (1, 3):
        raise InvalidSearch(f"{name}: expected number or number|system|code", expression=[name])
    prefix, text = split_prefix(name, parts[0])
    number = parse_decimal(name, text)
    system, code = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
    if system == UCUM_SYSTEM and code:
        canonical_code, factor = canonical_unit(code)
        return all_of(
            [
                Sql(f"{alias}.canonical_code = %s", (canonical_code,)),
                ordered_condition(
                    prefix,
                    f"{alias}.canonical_low",
                    f"{alias}.canonical_high",
                    number,
                    scale=factor,
                ),
            ]
        )
    conditions = [
        ordered_condition(prefix, f"{alias}.low", f"{alias}.high", number, scale=Decimal(1))
    ]
    if system:
        conditions.append(Sql(f"{alias}.system = %s", (system,)))
    if code and system:
        conditions.append(Sql(f"{alias}.code = %s", (code,)))
    elif code:
        conditions.append(Sql(f"({alias}.code = %s OR {alias}.unit = %s)", (code, code)))
    return all_of(conditions)
