"""Date parameters, with the prefixes' range semantics of search.html: the search value and the
indexed value are both ranges ([low, high], from their precision), and

    eq  the search range contains the value's      ne  it does not
    gt  the value reaches above the search range   lt  the value reaches below it
    ge  gt or eq                                   le  lt or eq
    sa  the value starts after the search range    eb  the value ends before it
    ap  the ranges overlap once the search range is widened by 10% of its distance from now

Values without a time zone are UTC (as in the index); `+` in an offset may arrive decoded as a
space and is read back as `+`.
"""

from datetime import datetime

from django.utils import timezone

from fhirapi.errors import InvalidSearch
from fhirapi.search.date_values import date_range
from fhirapi.search.models import DateIndex
from fhirapi.search.query_values import split_prefix, unescape
from fhirapi.search.scope import Scope
from fhirapi.search.sql import Sql, negate

TABLE = DateIndex._meta.db_table


def value_condition(alias: str, raw: str, name: str, modifier: str | None, scope: Scope) -> Sql:
    prefix, text = split_prefix(name, unescape(raw))
    low, high = search_range(name, text)
    return ordered_condition(prefix, f"{alias}.low", f"{alias}.high", low, high)


def search_range(name: str, text: str) -> tuple[datetime, datetime]:
    found = date_range(text.replace(" ", "+"))
    if found is None:
        raise InvalidSearch(f"{name}: {text!r} is not a FHIR date", expression=[name])
    return found[0], found[1]


def ordered_condition(
    prefix: str, low: str, high: str, search_low: datetime, search_high: datetime
) -> Sql:
    """The prefix's condition on the columns (or expressions) `low` and `high`."""
    within = Sql(f"{low} >= %s AND {high} <= %s", (search_low, search_high))
    if prefix == "eq":
        return within
    if prefix == "ne":
        return negate(within)
    if prefix == "gt":
        return Sql(f"{high} > %s", (search_high,))
    if prefix == "lt":
        return Sql(f"{low} < %s", (search_low,))
    if prefix == "ge":
        return Sql(f"({high} > %s OR ({within.text}))", (search_high, *within.params))
    if prefix == "le":
        return Sql(f"({low} < %s OR ({within.text}))", (search_low, *within.params))
    if prefix == "sa":
        return Sql(f"{low} > %s", (search_high,))
    if prefix == "eb":
        return Sql(f"{high} < %s", (search_low,))
    margin = abs(timezone.now() - search_low) / 10  # ap
    return Sql(f"{low} <= %s AND {high} >= %s", (search_high + margin, search_low - margin))
