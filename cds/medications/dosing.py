"""How much of each ingredient a medication order gives a day: its dose (doseAndRate, in mass
units or in units of the product, whose strength is read from the RxNorm name, e.g.
"Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet") times its doses a day
(timing.repeat). Pure functions; None where the order does not say enough."""

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cds.fhir_values import Resource, codings
from cds.medications.drugs import Drug, ingredients_by_name

MG_PER = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001}
PER_DAY = {
    "s": 86400.0,
    "min": 1440.0,
    "h": 24.0,
    "d": 1.0,
    "wk": 1 / 7,
    "mo": 1 / 30,
    "a": 1 / 365,
}
COUNTED = {"", "1", "tablet", "tab", "tbl", "capsule", "cap", "each", "ea"}
ACTUATIONS = {"puff", "actuat", "actuation", "spray"}
STRENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*(MG|MCG|G)(?:/(ML|ACTUAT))?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Strength:
    mg: float
    per: str  # "unit" (a tablet, capsule...), "ml" or "actuat"


@dataclass(frozen=True)
class DailyAmount:
    """mg of one ingredient a day: the least and the most the order allows."""

    ingredient: str
    low: float
    high: float
    as_needed: bool


def product_strengths(drug: Drug) -> dict[str, Strength]:
    """Strength per ingredient from the product's RxNorm name (its codings' displays, its text)."""
    concept = drug.request.get("medicationCodeableConcept") or {}
    names = [c.get("display") or "" for c in codings(concept)] + [drug.name]
    for name in names:
        if found := _name_strengths(str(name), drug.ingredients):
            return dict(found)
    return {}


@lru_cache(maxsize=1024)
def _name_strengths(name: str, ingredients: frozenset[str]) -> tuple[tuple[str, Strength], ...]:
    found = []
    for part in name.split(" / "):
        match = STRENGTH.search(part)
        named = ingredients_by_name(part.lower()) & ingredients if match else frozenset()
        if match and len(named) == 1:
            mg = float(match[1]) * MG_PER[match[2].lower()]
            found.append((next(iter(named)), Strength(mg, (match[3] or "unit").lower())))
    return tuple(found)


def daily_amounts(drug: Drug) -> list[DailyAmount]:
    """Per ingredient, summing the dosages given together (same `sequence`) and taking the
    largest of those given one after another."""
    strengths = product_strengths(drug)
    by_sequence: dict[Any, dict[str, list[float]]] = defaultdict(dict)
    as_needed = False
    for dosage in drug.request.get("dosageInstruction") or []:
        as_needed |= bool(dosage.get("asNeededBoolean") or dosage.get("asNeededCodeableConcept"))
        for ingredient, (low, high) in _dosage_amounts(dosage, drug, strengths).items():
            total = by_sequence[dosage.get("sequence")].setdefault(ingredient, [0.0, 0.0])
            total[0] += low
            total[1] += high
    best: dict[str, tuple[float, float]] = {}
    for amounts in by_sequence.values():
        for ingredient, (low, high) in amounts.items():
            previous = best.get(ingredient, (low, high))
            best[ingredient] = (max(previous[0], low), max(previous[1], high))
    return [DailyAmount(i, low, high, as_needed) for i, (low, high) in sorted(best.items())]


def _dosage_amounts(
    dosage: Resource, drug: Drug, strengths: dict[str, Strength]
) -> dict[str, tuple[float, float]]:
    doses = _dose(dosage)
    per_day = doses_per_day(dosage.get("timing"))
    if doses is None or per_day is None:
        return {}
    (amount_low, amount_high, unit), (times_low, times_high) = doses, per_day
    found = {}
    for ingredient in drug.ingredients:
        mg = _mg_per_unit(unit, strengths.get(ingredient), single=len(drug.ingredients) == 1)
        if mg is not None:
            found[ingredient] = (amount_low * mg * times_low, amount_high * mg * times_high)
    return found


def _dose(dosage: Resource) -> tuple[float, float, str] | None:
    for dose_and_rate in dosage.get("doseAndRate") or []:
        quantity = dose_and_rate.get("doseQuantity")
        dose_range = dose_and_rate.get("doseRange") or {}
        low = quantity or dose_range.get("low") or dose_range.get("high")
        high = quantity or dose_range.get("high") or low
        low_value, high_value = _number(low), _number(high)
        if low_value is not None and high_value is not None:
            unit = str(low.get("code") or low.get("unit") or "").strip("{}").lower()
            return low_value, high_value, unit
    return None


def _number(quantity: Any) -> float | None:
    value = quantity.get("value") if isinstance(quantity, dict) else None
    return float(value) if isinstance(value, int | float) and value >= 0 else None


def _mg_per_unit(unit: str, strength: Strength | None, *, single: bool) -> float | None:
    """mg of the ingredient in one unit of the dose, when the dose and the strength agree."""
    if unit in MG_PER:
        return MG_PER[unit] if single else None
    wanted = "ml" if unit == "ml" else "actuat" if unit in ACTUATIONS else "unit"
    if strength is None or strength.per != wanted or (wanted == "unit" and unit not in COUNTED):
        return None
    return strength.mg


def doses_per_day(timing: Any) -> tuple[float, float] | None:
    """The fewest and the most doses a day a Timing allows (frequency[Max] per period[Max])."""
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if not isinstance(repeat, dict):
        return None
    if not repeat.get("period") or repeat.get("periodUnit") not in PER_DAY:
        return (1.0, 1.0) if repeat.get("count") else None  # a set number of doses, e.g. once
    scale = PER_DAY[repeat["periodUnit"]]
    times = float(repeat.get("frequency") or len(repeat.get("timeOfDay") or []) or 1)
    times_max = float(repeat.get("frequencyMax") or times)
    period, period_max = float(repeat["period"]), float(repeat.get("periodMax") or repeat["period"])
    return times * scale / period_max, times_max * scale / period
