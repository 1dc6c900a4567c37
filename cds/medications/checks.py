"""The medication checks: interactions, allergies, duplicate therapy, renal dosing and dose range.
Each takes the orders being placed and what the patient already has, and returns findings (no
cards)."""

from dataclasses import dataclass
from itertools import combinations

from cds.fhir_values import Resource, code_keys, concept_text
from cds.medications.dosing import daily_amounts
from cds.medications.drugs import Drug, ingredients_of
from cds.medications.knowledge import (
    AllergyClass,
    DoseRange,
    InteractionRule,
    RenalRule,
    allergy_classes,
    dose_ranges,
    drug_classes,
    expand,
    ingredient_names,
    interaction_rules,
    renal_rules,
)

INACTIVE_ALLERGY = {"inactive", "resolved"}


@dataclass(frozen=True)
class Interaction:
    new: Drug
    other: Drug
    rule: InteractionRule


@dataclass(frozen=True)
class AllergyConflict:
    drug: Drug
    allergy: Resource
    allergy_class: AllergyClass | None  # None: allergy to the very ingredient


@dataclass(frozen=True)
class Duplicate:
    new: Drug
    other: Drug
    class_name: str


@dataclass(frozen=True)
class RenalFinding:
    drug: Drug
    egfr: float
    rule: RenalRule


@dataclass(frozen=True)
class DoseOutOfRange:
    drug: Drug
    ingredient: str  # its name
    amount: float  # mg per `limit.per`: the most the order allows (above), or the least (below)
    limit: DoseRange

    @property
    def above(self) -> bool:
        return self.amount > self.limit.max


def interactions(new: list[Drug], existing: list[Drug]) -> list[Interaction]:
    """Pairs with a new order on at least one side (new with new, new with existing)."""
    pairs = [*combinations(new, 2), *((n, e) for n in new for e in existing)]
    found = []
    for first, second in pairs:
        rule = _interaction_rule(first, second)
        if rule is not None:
            found.append(Interaction(first, second, rule))
    return found


def _interaction_rule(first: Drug, second: Drug) -> InteractionRule | None:
    for rule in interaction_rules():
        a, b = expand(rule.a), expand(rule.b)
        if (first.ingredients & a and second.ingredients & b) or (
            first.ingredients & b and second.ingredients & a
        ):
            return rule
    return None


def allergy_conflicts(new: list[Drug], allergies: list[Resource]) -> list[AllergyConflict]:
    found = []
    for allergy in allergies:
        if code_keys(allergy.get("clinicalStatus")) & INACTIVE_ALLERGY:
            continue
        if "entered-in-error" in code_keys(allergy.get("verificationStatus")):
            continue
        for drug in new:
            if conflict := _allergy_conflict(drug, allergy):
                found.append(conflict)
    return found


def _allergy_conflict(drug: Drug, allergy: Resource) -> AllergyConflict | None:
    allergen_ingredients = ingredients_of(allergy.get("code"))
    if drug.ingredients & allergen_ingredients:
        return AllergyConflict(drug, allergy, None)
    keys = code_keys(allergy.get("code"))
    for allergy_class in allergy_classes():
        members = frozenset().union(*(expand(d) for d in allergy_class.drugs))
        named = bool(keys & allergy_class.allergens) or bool(allergen_ingredients & members)
        if named and drug.ingredients & members:
            return AllergyConflict(drug, allergy, allergy_class)
    return None


def duplicates(new: list[Drug], existing: list[Drug]) -> list[Duplicate]:
    pairs = [*combinations(new, 2), *((n, e) for n in new for e in existing)]
    found = []
    for first, second in pairs:
        shared = [
            drug_classes()[c].name
            for c in sorted(first.classes & second.classes)
            if drug_classes()[c].duplicate_check
        ]
        if shared or first.ingredients & second.ingredients:
            label = shared[0] if shared else "the same ingredient"
            found.append(Duplicate(first, second, label))
    return found


def renal_findings(new: list[Drug], egfr: float | None) -> list[RenalFinding]:
    """The strictest renal rule each new order breaks at this eGFR."""
    if egfr is None:
        return []
    found = []
    for drug in new:
        rules = [
            r for r in renal_rules() if drug.ingredients & expand(r.ingredient) and egfr < r.below
        ]
        if rules:
            found.append(RenalFinding(drug, egfr, min(rules, key=lambda r: r.below)))
    return found


def doses_out_of_range(new: list[Drug]) -> list[DoseOutOfRange]:
    """Each ingredient of a new order given above its usual maximum, or (unless as needed) below
    its usual minimum. Adult ranges."""
    found = []
    for drug in new:
        for daily in daily_amounts(drug):
            limit = dose_ranges().get(daily.ingredient)
            if limit is None:
                continue
            name = ingredient_names()[daily.ingredient]
            high, low = daily.high * limit.days, daily.low * limit.days
            if high > limit.max:
                found.append(DoseOutOfRange(drug, name, high, limit))
            elif low < limit.min and not daily.as_needed:
                found.append(DoseOutOfRange(drug, name, low, limit))
    return found


def allergy_label(allergy: Resource) -> str:
    return concept_text(allergy.get("code"), default="a recorded allergy")
