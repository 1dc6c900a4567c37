"""The curated medication tables of cds/data/, loaded once."""

import csv
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from cds.data import DATA_DIR


@dataclass(frozen=True)
class DrugClass:
    id: str
    name: str
    duplicate_check: bool
    ingredients: frozenset[str]


@dataclass(frozen=True)
class InteractionRule:
    a: str  # an ingredient RxCUI or `class:<id>`
    b: str
    severity: str  # contraindicated, major, moderate
    mechanism: str


@dataclass(frozen=True)
class AllergyClass:
    id: str
    name: str
    allergens: frozenset[str]
    drugs: tuple[str, ...]


@dataclass(frozen=True)
class RenalRule:
    ingredient: str
    below: float
    action: str  # avoid, reduce
    message: str
    dose: dict[str, Any] | None


@dataclass(frozen=True)
class DoseRange:
    ingredient: str
    min: float  # mg of the ingredient per `per`
    max: float
    per: str  # d or wk
    note: str

    @property
    def days(self) -> int:
        return 7 if self.per == "wk" else 1


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _json(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@cache
def ingredient_names() -> dict[str, str]:
    return {row["rxcui"]: row["name"] for row in _rows("rxnorm_ingredients.csv")}


@cache
def ingredient_name_pattern() -> list[tuple[re.Pattern[str], str]]:
    """A word-boundary pattern per ingredient name and synonym, longest first."""
    names = []
    for row in _rows("rxnorm_ingredients.csv"):
        for name in [row["name"], *filter(None, row["synonyms"].split(";"))]:
            names.append((name.strip().lower(), row["rxcui"]))
    names.sort(key=lambda pair: -len(pair[0]))
    return [(re.compile(rf"\b{re.escape(name)}\b"), rxcui) for name, rxcui in names]


@cache
def product_ingredients() -> dict[str, frozenset[str]]:
    return {
        row["rxcui"]: frozenset(row["ingredients"].split()) for row in _rows("rxnorm_products.csv")
    }


@cache
def drug_classes() -> dict[str, DrugClass]:
    return {
        row["class"]: DrugClass(
            id=row["class"],
            name=row["name"],
            duplicate_check=row["duplicate_check"] == "yes",
            ingredients=frozenset(row["ingredients"].split()),
        )
        for row in _rows("drug_classes.csv")
    }


@cache
def interaction_rules() -> tuple[InteractionRule, ...]:
    return tuple(InteractionRule(**row) for row in _rows("interactions.csv"))


@cache
def allergy_classes() -> tuple[AllergyClass, ...]:
    return tuple(
        AllergyClass(
            id=item["id"],
            name=item["name"],
            allergens=frozenset(item["allergens"]),
            drugs=tuple(item["drugs"]),
        )
        for item in _json("allergy_classes.json")["classes"]
    )


@cache
def renal_rules() -> tuple[RenalRule, ...]:
    return tuple(
        RenalRule(
            ingredient=item["ingredient"],
            below=float(item["below"]),
            action=item["action"],
            message=item["message"],
            dose=item.get("dose"),
        )
        for item in _json("renal_dosing.json")["rules"]
    )


@cache
def dose_ranges() -> dict[str, DoseRange]:
    return {
        item["ingredient"]: DoseRange(
            ingredient=item["ingredient"],
            min=float(item["min"]),
            max=float(item["max"]),
            per=item.get("per", "d"),
            note=item["note"],
        )
        for item in _json("dose_ranges.json")["ranges"]
    }


def expand(key: str) -> frozenset[str]:
    """The ingredients an ingredient RxCUI or `class:<id>` stands for."""
    if key.startswith("class:"):
        return drug_classes()[key.removeprefix("class:")].ingredients
    return frozenset({key})


def classes_of(ingredients: frozenset[str]) -> frozenset[str]:
    return frozenset(c.id for c in drug_classes().values() if c.ingredients & ingredients)
