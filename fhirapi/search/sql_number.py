"""Number parameters. A search number stands for the range its precision implies (100 is
[99.5, 100.5)); an indexed value is a point, or a Range's [low, high] (unbounded: +-Infinity):

    eq  the value lies within the search range     ne  it does not
    gt  lt ge le  compare with the number itself (search.html: "gt100: greater than 100")
    sa  the value starts after the number          eb  it ends before it
    ap  the value overlaps the number +-10% (at least its precision range)
"""

from decimal import Decimal

from fhirapi.search.models import NumberIndex
from fhirapi.search.query_values import implicit_range, parse_decimal, split_prefix, unescape
from fhirapi.search.scope import Scope
from fhirapi.search.sql import Sql, negate

TABLE = NumberIndex._meta.db_table
APPROXIMATELY = Decimal("0.1")


def value_condition(alias: str, raw: str, name: str, modifier: str | None, scope: Scope) -> Sql:
    prefix, text = split_prefix(name, unescape(raw))
    number = parse_decimal(name, text)
    return ordered_condition(prefix, f"{alias}.low", f"{alias}.high", number, scale=Decimal(1))


def ordered_condition(prefix: str, low: str, high: str, number: Decimal, *, scale: Decimal) -> Sql:
    """The prefix's condition on the columns `low` and `high`, holding values `scale` times the
    units of `number` (a unit conversion: the precision stays that of `number` as written)."""
    range_low, range_high = implicit_range(number)
    value, range_low, range_high = number * scale, range_low * scale, range_high * scale
    within = Sql(f"{low} >= %s AND {high} < %s", (range_low, range_high))
    if prefix == "eq":
        return within
    if prefix == "ne":
        return negate(within)
    if prefix == "ap":
        margin = max(abs(value) * APPROXIMATELY, value - range_low)
        return Sql(f"{low} <= %s AND {high} >= %s", (value + margin, value - margin))
    column, operator = _COMPARISONS[prefix]
    return Sql(f"{low if column == 'low' else high} {operator} %s", (value,))


_COMPARISONS = {
    "gt": ("high", ">"),
    "ge": ("high", ">="),
    "lt": ("low", "<"),
    "le": ("low", "<="),
    "sa": ("low", ">"),
    "eb": ("high", "<"),
}
