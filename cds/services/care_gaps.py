"""patient-view "care gaps": diabetes without a recent HbA1c, hypertension above target at the
last blood pressure, and adult immunizations due by age (cds/data/immunization_schedule.json)."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from cds.cards import Action, Card, Coding, Suggestion
from cds.data import DATA_DIR
from cds.fhir_values import (
    CVX,
    LOINC,
    Resource,
    age_in_years,
    code_keys,
    effective_time,
    has_code,
    is_active_condition,
    quantity_value,
)
from cds.registry import CdsCall, ServiceDefinition
from cds.services.card_parts import OVERRIDE_REASONS, source
from cds.value_sets import value_set_codes

HBA1C = "4548-4"
HBA1C_MAX_AGE = timedelta(days=183)
BP_PANELS = ("85354-9", "55284-4")  # blood pressure panel (current) and its older code
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"
BP_TARGET = (140.0, 90.0)
FINAL_STATUSES = ("final", "amended", "corrected")

SOURCE = source("WintEHR care gaps", "care-gaps", "Care gaps")
VACCINE_OVERRIDES = (
    Coding("given-elsewhere", "Given elsewhere; record to follow"),
    Coding("patient-declined", "Patient declined"),
    Coding("contraindicated", "Contraindicated for this patient"),
)

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active&_count=200",
    "hba1c": f"Observation?patient={{{{context.patientId}}}}&code={LOINC}|{HBA1C}"
    "&_sort=-date&_count=1",
    "bloodPressure": f"Observation?patient={{{{context.patientId}}}}"
    f"&code={LOINC}|{BP_PANELS[0]},{LOINC}|{BP_PANELS[1]},{LOINC}|{SYSTOLIC}&_sort=-date&_count=1",
    "immunizations": "Immunization?patient={{context.patientId}}&status=completed&_count=200",
}


@dataclass(frozen=True)
class VaccineGroup:
    id: str
    name: str
    min_age: int
    interval_days: int | None
    cvx: frozenset[str]


@cache
def schedule() -> tuple[VaccineGroup, ...]:
    groups = json.loads((DATA_DIR / "immunization_schedule.json").read_text())["groups"]
    return tuple(
        VaccineGroup(g["id"], g["name"], g["min_age"], g["interval_days"], frozenset(g["cvx"]))
        for g in groups
    )


def run(call: CdsCall) -> list[Card]:
    conditions = [
        c for c in call.data.resources("conditions", "Condition") if is_active_condition(c)
    ]
    cards = []
    if _has_any(conditions, "diabetes-mellitus"):
        cards += _hba1c_gap(call)
    if _has_any(conditions, "hypertension"):
        cards += _blood_pressure_gap(call)
    patient = call.data.resource("patient")
    if patient is not None:
        cards += _immunization_gaps(call, patient)
    return cards


def _has_any(conditions: list[Resource], value_set: str) -> bool:
    codes = value_set_codes(value_set)
    return any(has_code(c.get("code"), codes) for c in conditions)


def _hba1c_gap(call: CdsCall) -> list[Card]:
    results = [
        o
        for o in call.data.resources("hba1c", "Observation")
        if o.get("status") in FINAL_STATUSES and has_code(o.get("code"), {HBA1C})
    ]
    latest = max((t for o in results if (t := effective_time(o))), default=None)
    if latest is not None and latest >= call.now - HBA1C_MAX_AGE:
        return []
    when = f"last on {latest.date().isoformat()}" if latest else "none on record"
    order = Action(
        type="create",
        description="Order a hemoglobin A1c test",
        resource=_lab_order(call, HBA1C, "Hemoglobin A1c/Hemoglobin.total in Blood"),
    )
    return [
        Card(
            summary="Diabetes: no HbA1c in the last 6 months",
            indicator="warning",
            source=SOURCE,
            detail=f"The patient has diabetes and no hemoglobin A1c (LOINC {HBA1C}) result in the "
            f"last 6 months ({when}). ADA standards: test at least every 6 months.",
            suggestions=(Suggestion("Order HbA1c", (order,), is_recommended=True),),
            override_reasons=OVERRIDE_REASONS,
        )
    ]


def _lab_order(call: CdsCall, loinc: str, display: str) -> Resource:
    order: Resource = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "108252007",
                        "display": "Laboratory procedure",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": display}]},
        "subject": {"reference": f"Patient/{call.request.patient_id}"},
    }
    if encounter := call.request.context.get("encounterId"):
        order["encounter"] = {"reference": f"Encounter/{encounter}"}
    return order


def _blood_pressure_gap(call: CdsCall) -> list[Card]:
    readings = [o for o in call.data.resources("bloodPressure", "Observation") if effective_time(o)]
    if not readings:
        return []
    latest = max(readings, key=lambda o: effective_time(o))
    systolic, diastolic = blood_pressure(latest)
    high = (systolic is not None and systolic >= BP_TARGET[0]) or (
        diastolic is not None and diastolic >= BP_TARGET[1]
    )
    if not high:
        return []
    shown = f"{_mm(systolic)}/{_mm(diastolic)} mmHg"
    taken = effective_time(latest).date().isoformat()
    return [
        Card(
            summary=f"Hypertension above target: last BP {shown}",
            indicator="warning",
            source=SOURCE,
            detail=f"The last blood pressure ({shown} on {taken}) is at or above the target of "
            "140/90 mmHg. Consider adjusting treatment and rechecking.",
            override_reasons=OVERRIDE_REASONS,
        )
    ]


def blood_pressure(observation: Resource) -> tuple[float | None, float | None]:
    """(systolic, diastolic) of a BP panel's components or of a standalone systolic result."""
    if has_code(observation.get("code"), {SYSTOLIC}):
        return quantity_value(observation.get("valueQuantity")), None
    values: dict[str, float | None] = {}
    for component in observation.get("component") or []:
        for code in (SYSTOLIC, DIASTOLIC):
            if code in code_keys(component.get("code")):
                values[code] = quantity_value(component.get("valueQuantity"))
    return values.get(SYSTOLIC), values.get(DIASTOLIC)


def _mm(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _immunization_gaps(call: CdsCall, patient: Resource) -> list[Card]:
    age = age_in_years(patient.get("birthDate"), call.now.date())
    if age is None or patient.get("deceasedBoolean") or patient.get("deceasedDateTime"):
        return []
    given = _vaccinations(call.data.resources("immunizations", "Immunization"))
    cards = []
    for group in schedule():
        if age >= group.min_age and _is_due(group, given, call.now):
            cards.append(_vaccine_card(group, age))
    return cards


def _vaccinations(immunizations: list[Resource]) -> list[tuple[frozenset[str], datetime]]:
    found = []
    for immunization in immunizations:
        when = effective_time(immunization)
        if immunization.get("status") == "completed" and when is not None:
            codes = frozenset(
                str(c["code"])
                for c in immunization.get("vaccineCode", {}).get("coding") or []
                if c.get("system") == CVX and c.get("code")
            )
            found.append((codes, when))
    return found


def _is_due(group: VaccineGroup, given: list[tuple[frozenset[str], datetime]], now: datetime):
    since = now - timedelta(days=group.interval_days) if group.interval_days else None
    return not any(codes & group.cvx and (since is None or when >= since) for codes, when in given)


def _vaccine_card(group: VaccineGroup, age: int) -> Card:
    return Card(
        summary=f"Immunization due: {group.name}",
        indicator="info",
        source=SOURCE,
        detail=f"No {group.name.lower()} is recorded for this {age}-year-old patient within the "
        "recommended interval (adult schedule, simplified).",
        override_reasons=VACCINE_OVERRIDES,
    )


SERVICE = ServiceDefinition(
    id="care-gaps",
    hooks=("patient-view",),
    title="Care gaps",
    description="Diabetes without an HbA1c in 6 months, hypertension above 140/90 at the last "
    "blood pressure, and adult immunizations due by age.",
    run=run,
    prefetch=PREFETCH,
)
