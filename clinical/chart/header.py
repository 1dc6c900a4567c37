"""The chart header: who the patient is, their allergies and where they are now."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.chart.services import Chart
from clinical.fhir.codes import ALLERGY_CLINICAL, ALLERGY_VERIFICATION, NO_KNOWN_ALLERGY, SNOMED
from clinical.fhir.display import (
    age_in_years,
    concept_text,
    first_coding,
    has_code,
    human_name,
    medical_record_number,
    parse_datetime,
)
from clinical.fhir.reads import Resource, search

RECORDED, NONE_KNOWN, NOT_RECORDED = "recorded", "none-known", "not-recorded"


@dataclass(frozen=True)
class ActiveEncounter:
    encounter_id: str
    kind: str
    location: str
    start: datetime | None


@dataclass(frozen=True)
class ChartHeader:
    name: str
    age: int | None
    sex: str
    birth_date: str
    mrn: str
    allergy_status: str  # RECORDED, NONE_KNOWN or NOT_RECORDED
    allergies: list[str]
    encounter: ActiveEncounter | None
    restricted: bool
    glass_expires_at: datetime | None


def chart_header(*, user: AbstractBaseUser, chart: Chart) -> ChartHeader:
    patient = chart.patient
    allergies = search(user, "AllergyIntolerance", [("patient", chart.patient_id)], count=200)
    status, names = allergy_summary(allergies)
    return ChartHeader(
        name=human_name(patient),
        age=age_in_years(patient.get("birthDate")),
        sex=patient.get("gender", "unknown"),
        birth_date=patient.get("birthDate", ""),
        mrn=medical_record_number(patient),
        allergy_status=status,
        allergies=names,
        encounter=active_encounter(user=user, patient_id=chart.patient_id),
        restricted=chart.access.restricted,
        glass_expires_at=chart.access.glass_expires_at,
    )


def is_current_allergy(allergy: Resource) -> bool:
    verification = first_coding(allergy.get("verificationStatus"), ALLERGY_VERIFICATION)
    clinical = first_coding(allergy.get("clinicalStatus"), ALLERGY_CLINICAL)
    return verification.get("code") not in ("entered-in-error", "refuted") and clinical.get(
        "code", "active"
    ) not in ("inactive", "resolved")


def is_no_known_allergy(allergy: Resource) -> bool:
    return has_code(allergy.get("code"), SNOMED, NO_KNOWN_ALLERGY)


def allergy_summary(allergies: list[Resource]) -> tuple[str, list[str]]:
    """(RECORDED, names) / (NONE_KNOWN, []) when only "no known allergy" stands / (NOT_RECORDED,
    []) when nothing was ever recorded. A real allergy outranks an older "no known allergy"."""
    current = [a for a in allergies if is_current_allergy(a)]
    real = [a for a in current if not is_no_known_allergy(a)]
    if real:
        return RECORDED, sorted(concept_text(a.get("code"), "unnamed allergy") for a in real)
    if current:
        return NONE_KNOWN, []
    return NOT_RECORDED, []


def active_encounter(*, user: AbstractBaseUser, patient_id: str) -> ActiveEncounter | None:
    found = search(
        user,
        "Encounter",
        [("patient", patient_id), ("status", "in-progress,arrived,onleave"), ("_sort", "-date")],
        count=1,
    )
    if not found:
        return None
    encounter = found[0]
    locations = [
        (item.get("location") or {}).get("display", "")
        for item in encounter.get("location") or []
        if item.get("status", "active") == "active"
    ]
    kind = concept_text((encounter.get("type") or [None])[0]) or (
        (encounter.get("class") or {}).get("display")
        or (encounter.get("class") or {}).get("code", "")
    )
    return ActiveEncounter(
        encounter_id=encounter["id"],
        kind=kind or "Encounter",
        location=", ".join(loc for loc in locations if loc),
        start=parse_datetime((encounter.get("period") or {}).get("start")),
    )
