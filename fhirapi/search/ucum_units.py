"""Canonical UCUM units for quantity search, for the few unit families where conversion is a
plain factor.

Every factor is exact by UCUM's definitions (`mo` is the mean Julian month, 30.4375 d; `a` the
Julian year, 365.25 d; `[lb_av]` is 453.59237 g). Units not listed (compound units such as
`mg/dL` or `mm[Hg]`, annotations, temperatures — Cel, [degF] and K differ by an offset) are
kept as they are: they compare only with the same unit.
"""

from decimal import Decimal

UCUM_SYSTEM = "http://unitsofmeasure.org"

_FAMILIES: dict[str, dict[str, str]] = {
    "g": {  # mass, in grams
        "g": "1",
        "kg": "1000",
        "mg": "0.001",
        "ug": "0.000001",
        "ng": "0.000000001",
        "[lb_av]": "453.59237",
        "[oz_av]": "28.349523125",
    },
    "m": {  # length, in metres
        "m": "1",
        "km": "1000",
        "cm": "0.01",
        "mm": "0.001",
        "um": "0.000001",
        "[in_i]": "0.0254",
        "[ft_i]": "0.3048",
    },
    "s": {  # time, in seconds
        "s": "1",
        "ms": "0.001",
        "min": "60",
        "h": "3600",
        "d": "86400",
        "wk": "604800",
        "mo": "2629800",
        "a": "31557600",
    },
    "L": {  # volume, in litres
        "L": "1",
        "l": "1",
        "dL": "0.1",
        "cL": "0.01",
        "mL": "0.001",
        "ml": "0.001",
        "uL": "0.000001",
    },
}
CANONICAL_UNITS: dict[str, tuple[str, Decimal]] = {
    unit: (canonical, Decimal(factor))
    for canonical, units in _FAMILIES.items()
    for unit, factor in units.items()
}


def canonical_unit(code: str) -> tuple[str, Decimal]:
    """The canonical UCUM code for `code` and the factor converting to it (1 if not listed)."""
    return CANONICAL_UNITS.get(code, (code, Decimal(1)))
