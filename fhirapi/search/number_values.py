"""Number and quantity parameters.

A value carries the precision it is written with: 100 stands for [99.5, 100.5], 1.50 for
[1.495, 1.505] (search.html, number). JSON parsed into floats loses trailing zeros (1.50 reads as
1.5); parse with `parse_float=Decimal` to keep them. A Range gives its low and high as they are.
Quantities in UCUM units also get a canonical value and unit (see `ucum_units`); SampledData
gives no row.
"""

from decimal import Decimal
from functools import lru_cache
from typing import Any

from fhirapi.search.index_rows import NumberRow, QuantityRow
from fhirapi.search.ucum_units import UCUM_SYSTEM, canonical_unit
from fhirapi.search.value_cache import VALUE_CACHE_SIZE

NumberRange = tuple[Decimal, Decimal, Decimal]  # value, low, high
CURRENCY_SYSTEM = "urn:iso:std:iso:4217"


@lru_cache(maxsize=VALUE_CACHE_SIZE, typed=True)
def _cached_range(value: int | float | str) -> NumberRange:
    number = Decimal(repr(value)) if value.__class__ is float else Decimal(value)
    exponent = number.as_tuple().exponent
    half = Decimal((0, (5,), exponent - 1)) if isinstance(exponent, int) else Decimal(0)
    return number, number - half, number + half


def number_range(value: Any) -> NumberRange | None:
    """The value as a Decimal with its implicit precision range; None if it is not a number."""
    value_class = value.__class__
    if value_class is Decimal:
        return _cached_range(str(value))
    if value_class is int or value_class is float:
        return _cached_range(value)
    return None


def number_rows(param: str, nodes: list[tuple[Any, str]], out: list[NumberRow]) -> None:
    for value, kind in nodes:
        if kind == "Range" and value.__class__ is dict:
            low, high = _range_bound(value, "low"), _range_bound(value, "high")
            if low is not None or high is not None:
                out.append(NumberRow(param, None, low, high))
            continue
        found = number_range(value)
        if found is not None:
            out.append(NumberRow(param, *found))


def _range_bound(range_value: dict, side: str) -> Decimal | None:
    bound = range_value.get(side)
    found = number_range(bound.get("value")) if bound.__class__ is dict else None
    return found[0] if found else None


def quantity_rows(param: str, nodes: list[tuple[Any, str]], out: list[QuantityRow]) -> None:
    for value, kind in nodes:
        if value.__class__ is not dict or kind == "SampledData":
            continue
        row = _range_row(param, value) if kind == "Range" else _quantity_row(param, value, kind)
        if row is not None:
            out.append(row)


def _quantity_row(param: str, quantity: dict, kind: str) -> QuantityRow | None:
    found = number_range(quantity.get("value"))
    if found is None:
        return None
    if kind == "Money":
        currency = quantity.get("currency")
        return QuantityRow(param, *found, CURRENCY_SYSTEM, currency, None, None, None, None, None)
    system, code = quantity.get("system"), quantity.get("code")
    unit = quantity.get("unit")
    return QuantityRow(param, *found, system, code, unit, *_canonical(system, code, found))


def _canonical(system: Any, code: Any, values: tuple) -> tuple:
    if system != UCUM_SYSTEM or code.__class__ is not str:
        return None, None, None, None
    canonical_code, factor = canonical_unit(code)
    return (*(v * factor if v is not None else None for v in values), canonical_code)


def _range_row(param: str, range_value: dict) -> QuantityRow | None:
    low, high = _range_bound(range_value, "low"), _range_bound(range_value, "high")
    if low is None and high is None:
        return None
    bound = range_value.get("low") or range_value.get("high")
    system, code, unit = bound.get("system"), bound.get("code"), bound.get("unit")
    return QuantityRow(
        param, None, low, high, system, code, unit, *_canonical(system, code, (None, low, high))
    )
