"""Rule conditions: their JSON form, its checking (every error named, by position), and their
evaluation against a patient's data.

A rule's conditions are a JSON list; all must hold. Each is an object with a `type`:

    {"type": "age", "min": 65, "max": 120}                  years, both bounds inclusive, optional
    {"type": "sex", "value": "female"}                      male, female, other, unknown
    {"type": "condition", "codes": ["http://snomed.info/sct|44054006"]}   or "valueSet": "<name>"
    {"type": "lab", "code": "4548-4", "operator": ">=", "value": 9, "maxAgeDays": 365}
    {"type": "lab", "code": "4548-4", "operator": "missing", "maxAgeDays": 183}
    {"type": "medication", "codes": ["6809"]}               RxNorm ingredient or product; or "class"
    {"type": "allergy", "codes": ["http://snomed.info/sct|91936005"]}  or "class": "penicillins"

Any condition may add "negate": true. Codes are `system|code` or a bare code (any system)."""

import operator as op
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cds.fhir_values import (
    LOINC,
    RXNORM,
    Resource,
    age_in_years,
    code_keys,
    concept_text,
    effective_time,
    has_code,
    is_active_condition,
    quantity_value,
)
from cds.medications.drugs import ACTIVE_STATUSES, draft_orders, drug_from_request, ingredients_of
from cds.medications.knowledge import allergy_classes, drug_classes, expand
from cds.prefetch import PrefetchData
from cds.value_sets import value_sets

OPERATORS = {"<": op.lt, "<=": op.le, ">": op.gt, ">=": op.ge, "=": op.eq, "!=": op.ne}
LAB_OPERATORS = (*OPERATORS, "missing")
SEXES = ("male", "female", "other", "unknown")
TYPES = ("age", "sex", "condition", "lab", "medication", "allergy")
BASE_PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&_count=500",
    "medications": "MedicationRequest?patient={{context.patientId}}&status=active&_count=200",
    "allergies": "AllergyIntolerance?patient={{context.patientId}}&_count=200",
}
PREFETCH_KEY = {"age": "patient", "sex": "patient", "condition": "conditions"}
PREFETCH_KEY |= {"medication": "medications", "allergy": "allergies"}


class RuleDefinitionError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class RuleCondition:
    type: str
    negate: bool = False
    minimum: int | None = None  # age
    maximum: int | None = None
    sex: str | None = None
    codes: frozenset[str] = frozenset()  # condition, medication (ingredients), allergy
    class_id: str | None = None  # medication or allergy class
    code: str | None = None  # lab (LOINC)
    operator: str | None = None
    value: float | None = None
    max_age_days: int | None = None

    def describe(self) -> str:
        text = _DESCRIBE[self.type](self)
        return f"not ({text})" if self.negate else text


@dataclass(frozen=True)
class ConditionResult:
    condition: RuleCondition
    matched: bool
    found: str  # what the data showed, for the "try" page


@dataclass(frozen=True)
class PatientView:
    """What conditions read: the prefetched data, the request context, and the time."""

    data: PrefetchData
    context: dict[str, Any]
    now: datetime


# -- parsing --------------------------------------------------------------------------------------


def parse_conditions(raw: Any) -> list[RuleCondition]:
    if not isinstance(raw, list):
        raise RuleDefinitionError(["conditions must be a JSON list of condition objects"])
    conditions, errors = [], []
    for index, item in enumerate(raw, start=1):
        kind = item.get("type") if isinstance(item, dict) else None
        where = f"condition {index}" + (f" ({kind})" if kind else "")
        if kind not in TYPES:
            errors.append(f"{where}: type must be one of {', '.join(TYPES)}")
            continue
        try:
            conditions.append(parse_condition(item))
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
    if not conditions and not errors:
        errors.append("a rule needs at least one condition")
    if errors:
        raise RuleDefinitionError(errors)
    return conditions


def parse_condition(item: dict) -> RuleCondition:
    """One condition object of a known type; ValueError naming what is wrong with it."""
    return _PARSERS[item["type"]](item)


def _negate(item: dict) -> bool:
    negate = item.get("negate", False)
    if not isinstance(negate, bool):
        raise ValueError("negate must be true or false")
    return negate


def _whole(item: dict, name: str) -> int | None:
    value = item.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValueError(f"{name} must be a whole number of at least 0")
    return value


def _parse_age(item: dict) -> RuleCondition:
    low, high = _whole(item, "min"), _whole(item, "max")
    if low is None and high is None:
        raise ValueError("give min, max or both (years)")
    if low is not None and high is not None and low > high:
        raise ValueError("min is greater than max")
    return RuleCondition("age", _negate(item), minimum=low, maximum=high)


def _parse_sex(item: dict) -> RuleCondition:
    if item.get("value") not in SEXES:
        raise ValueError(f"value must be one of {', '.join(SEXES)}")
    return RuleCondition("sex", _negate(item), sex=item["value"])


def _code_list(item: dict) -> frozenset[str]:
    codes = item.get("codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and c for c in codes):
        raise ValueError("codes must be a non-empty list of codes (system|code or code)")
    return frozenset(codes)


def _parse_condition(item: dict) -> RuleCondition:
    if "valueSet" in item:
        if item["valueSet"] not in value_sets():
            raise ValueError(f"unknown valueSet; known: {', '.join(sorted(value_sets()))}")
        codes = frozenset(value_sets()[item["valueSet"]]["codes"])
    else:
        codes = _code_list(item)
    return RuleCondition("condition", _negate(item), codes=codes, class_id=item.get("valueSet"))


def _parse_medication(item: dict) -> RuleCondition:
    if "class" in item:
        if item["class"] not in drug_classes():
            raise ValueError(f"unknown class; known: {', '.join(sorted(drug_classes()))}")
        return RuleCondition("medication", _negate(item), class_id=item["class"])
    ingredients: set[str] = set()
    for code in _code_list(item):
        bare = code.split("|")[-1]
        found = ingredients_of({"coding": [{"system": RXNORM, "code": bare}]})
        if not found:
            raise ValueError(f"RxNorm code {bare} is not in the ingredient or product tables")
        ingredients |= found
    return RuleCondition("medication", _negate(item), codes=frozenset(ingredients))


def _parse_allergy(item: dict) -> RuleCondition:
    if "class" in item:
        known = {c.id for c in allergy_classes()}
        if item["class"] not in known:
            raise ValueError(f"unknown class; known: {', '.join(sorted(known))}")
        return RuleCondition("allergy", _negate(item), class_id=item["class"])
    return RuleCondition("allergy", _negate(item), codes=_code_list(item))


def _parse_lab(item: dict) -> RuleCondition:
    code = item.get("code")
    if not isinstance(code, str) or not code:
        raise ValueError("code (a LOINC code) is required")
    operator = item.get("operator")
    if operator not in LAB_OPERATORS:
        raise ValueError(f"operator must be one of {', '.join(LAB_OPERATORS)}")
    value = item.get("value")
    if operator != "missing" and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise ValueError(f"value must be a number for operator {operator}")
    max_age = _whole(item, "maxAgeDays")
    return RuleCondition(
        "lab",
        _negate(item),
        code=code.split("|")[-1],
        operator=operator,
        value=None if operator == "missing" else float(value),
        max_age_days=max_age,
    )


_PARSERS = {
    "age": _parse_age,
    "sex": _parse_sex,
    "condition": _parse_condition,
    "lab": _parse_lab,
    "medication": _parse_medication,
    "allergy": _parse_allergy,
}


def conditions_prefetch(conditions: list[RuleCondition]) -> dict[str, str]:
    templates = {}
    for condition in conditions:
        if condition.type == "lab":
            templates[f"lab-{condition.code}"] = (
                f"Observation?patient={{{{context.patientId}}}}&code={LOINC}|{condition.code}"
                "&_sort=-date&_count=1"
            )
        else:
            key = PREFETCH_KEY[condition.type]
            templates[key] = BASE_PREFETCH[key]
    return templates


# -- evaluation -----------------------------------------------------------------------------------


def evaluate(conditions: list[RuleCondition], view: PatientView) -> list[ConditionResult]:
    results = []
    for condition in conditions:
        matched, found = _EVALUATORS[condition.type](condition, view)
        results.append(ConditionResult(condition, matched != condition.negate, found))
    return results


def _age(condition: RuleCondition, view: PatientView) -> tuple[bool, str]:
    patient = view.data.resource("patient") or {}
    age = age_in_years(patient.get("birthDate"), view.now.date())
    if age is None:
        return False, "no birth date"
    low, high = condition.minimum, condition.maximum
    return (low is None or age >= low) and (high is None or age <= high), f"age {age}"


def _sex(condition: RuleCondition, view: PatientView) -> tuple[bool, str]:
    gender = (view.data.resource("patient") or {}).get("gender", "unknown")
    return gender == condition.sex, f"gender {gender}"


def _condition(condition: RuleCondition, view: PatientView) -> tuple[bool, str]:
    active = [
        c
        for c in view.data.resources("conditions", "Condition")
        if is_active_condition(c) and has_code(c.get("code"), condition.codes)
    ]
    names = ", ".join(concept_text(c.get("code"), "condition") for c in active)
    return bool(active), names or "no matching active condition"


def _lab(condition: RuleCondition, view: PatientView) -> tuple[bool, str]:
    latest = _latest_result(view, condition.code or "", condition.max_age_days)
    if latest is None:
        return condition.operator == "missing", "no recent result"
    value = quantity_value(latest.get("valueQuantity"))
    taken = effective_time(latest)
    shown = f"{value:g} on {taken.date().isoformat()}" if value is not None and taken else "?"
    if condition.operator == "missing" or value is None or condition.value is None:
        return False, f"result {shown}"
    return OPERATORS[condition.operator](value, condition.value), f"result {shown}"


def _latest_result(view: PatientView, code: str, max_age_days: int | None) -> Resource | None:
    since = view.now - timedelta(days=max_age_days) if max_age_days is not None else None
    results = [
        o
        for o in view.data.resources(f"lab-{code}", "Observation")
        if o.get("status") in ("final", "amended", "corrected")
        and has_code(o.get("code"), {code})
        and (t := effective_time(o)) is not None
        and (since is None or t >= since)
    ]
    return max(results, key=effective_time, default=None)


def _medication(condition: RuleCondition, view: PatientView) -> tuple[bool, str]:
    wanted = expand(f"class:{condition.class_id}") if condition.class_id else condition.codes
    drugs = [
        drug_from_request(m, draft=False)
        for m in view.data.resources("medications", "MedicationRequest")
        if m.get("status") in ACTIVE_STATUSES
    ]
    drugs += draft_orders(view.context, selected_only=False)
    names = [d.name for d in drugs if d.ingredients & wanted]
    return bool(names), ", ".join(names) or "no matching medication"


def _allergy(condition: RuleCondition, view: PatientView) -> tuple[bool, str]:
    names = [
        concept_text(a.get("code"), "allergy")
        for a in view.data.resources("allergies", "AllergyIntolerance")
        if _allergy_matches(condition, a)
    ]
    return bool(names), ", ".join(names) or "no matching allergy"


def _allergy_matches(condition: RuleCondition, allergy: Resource) -> bool:
    if code_keys(allergy.get("clinicalStatus")) & {"inactive", "resolved"}:
        return False
    if not condition.class_id:
        return has_code(allergy.get("code"), condition.codes)
    allergy_class = next(c for c in allergy_classes() if c.id == condition.class_id)
    members = frozenset().union(*(expand(d) for d in allergy_class.drugs))
    return has_code(allergy.get("code"), allergy_class.allergens) or bool(
        ingredients_of(allergy.get("code")) & members
    )


_EVALUATORS = {
    "age": _age,
    "sex": _sex,
    "condition": _condition,
    "lab": _lab,
    "medication": _medication,
    "allergy": _allergy,
}

_DESCRIBE = {
    "age": lambda c: (
        f"age {c.minimum if c.minimum is not None else 0}"
        + (f"-{c.maximum}" if c.maximum is not None else "+")
    ),
    "sex": lambda c: f"sex is {c.sex}",
    "condition": lambda c: f"active condition in {c.class_id or ', '.join(sorted(c.codes))}",
    "lab": lambda c: (
        f"latest LOINC {c.code} "
        + ("missing" if c.operator == "missing" else f"{c.operator} {c.value:g}")
        + (f" within {c.max_age_days} days" if c.max_age_days is not None else "")
    ),
    "medication": lambda c: (
        "active medication "
        + (
            f"in class {c.class_id}"
            if c.class_id
            else f"with ingredient {', '.join(sorted(c.codes))}"
        )
    ),
    "allergy": lambda c: (
        "allergy "
        + (f"in class {c.class_id}" if c.class_id else f"to {', '.join(sorted(c.codes))}")
    ),
}
