"""What a pharmacist needs beside an order: the patient's allergies, renal function and active
medications, looked up for many patients at once (one search per kind, whatever the count)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from clinical.chart.header import allergy_summary
from clinical.fhir.codes import LOINC
from clinical.fhir.display import (
    age_in_years,
    human_name,
    interpretation_codes,
    medical_record_number,
    observation_value,
    parse_datetime,
)
from clinical.fhir.reads import Resource, by_ids, reference_id, search
from clinical.medications.selectors import medication_name

CREATININE = "2160-0"
EGFR = ("33914-3", "48642-3", "48643-1", "62238-1", "98979-8")
RENAL_LOOKBACK_DAYS = 365  # older results are not shown as "latest"
SEARCH_MAX = 1000  # FHIR_MAX_COUNT: one page per kind


@dataclass(frozen=True)
class LabValue:
    value: str
    when: datetime | None
    flag: str  # the interpretation code (H, L, ...) when abnormal, else ""


@dataclass(frozen=True)
class ActiveMedication:
    order_id: str
    name: str


@dataclass(frozen=True)
class PatientContext:
    patient_id: str
    name: str
    mrn: str
    age: int | None
    allergy_status: str  # clinical.chart.header: recorded | none-known | not-recorded
    allergies: tuple[str, ...]
    creatinine: LabValue | None
    egfr: LabValue | None
    medications: tuple[ActiveMedication, ...]

    def other_medications(self, order_id: str) -> list[str]:
        return [m.name for m in self.medications if m.order_id != order_id]


def patient_contexts(
    *, user: AbstractBaseUser, patient_ids: Iterable[str]
) -> dict[str, PatientContext]:
    ids = sorted(set(patient_ids))
    if not ids:
        return {}
    references = ",".join(f"Patient/{i}" for i in ids)
    patients = by_ids(user, "Patient", ids)
    allergies = _by_patient(
        search(user, "AllergyIntolerance", [("patient", references)], count=SEARCH_MAX)
    )
    medications = _by_patient(
        search(
            user,
            "MedicationRequest",
            [("patient", references), ("status", "active"), ("_sort", "-authoredon")],
            count=SEARCH_MAX,
        )
    )
    labs = _by_patient(_renal_results(user, references))
    contexts = {}
    for patient_id in ids:
        patient = patients.get(patient_id) or {}
        status, names = allergy_summary(allergies.get(patient_id, []))
        results = labs.get(patient_id, [])
        contexts[patient_id] = PatientContext(
            patient_id=patient_id,
            name=human_name(patient) if patient else "(unknown patient)",
            mrn=medical_record_number(patient),
            age=age_in_years(patient.get("birthDate")),
            allergy_status=status,
            allergies=tuple(names),
            creatinine=_latest(results, (CREATININE,)),
            egfr=_latest(results, EGFR),
            medications=tuple(
                ActiveMedication(m["id"], medication_name(m))
                for m in medications.get(patient_id, [])
            ),
        )
    return contexts


def _renal_results(user: AbstractBaseUser, references: str) -> list[Resource]:
    since = (timezone.now() - timedelta(days=RENAL_LOOKBACK_DAYS)).date().isoformat()
    codes = ",".join(f"{LOINC}|{code}" for code in (CREATININE, *EGFR))
    return search(
        user,
        "Observation",
        [
            ("patient", references),
            ("code", codes),
            ("date", f"ge{since}"),
            ("status", "final,amended,corrected"),
            ("_sort", "-date"),
        ],
        count=SEARCH_MAX,
    )


def _by_patient(resources: list[Resource]) -> dict[str, list[Resource]]:
    grouped: dict[str, list[Resource]] = {}
    for resource in resources:
        key = "subject" if "subject" in resource else "patient"
        patient_id = reference_id(resource.get(key), "Patient")
        if patient_id:
            grouped.setdefault(patient_id, []).append(resource)
    return grouped


def _latest(results: list[Resource], codes: tuple[str, ...]) -> LabValue | None:
    """The first (newest: the search sorts by date, descending) result with one of the codes."""
    for observation in results:
        found = {
            c.get("code")
            for c in (observation.get("code") or {}).get("coding") or []
            if c.get("system") == LOINC
        }
        if found & set(codes):
            flags = interpretation_codes(observation) - {"N", ""}
            return LabValue(
                value=observation_value(observation).replace("{1.73_m2}", "1.73 m²"),
                when=parse_datetime(
                    observation.get("effectiveDateTime") or observation.get("issued")
                ),
                flag=sorted(flags)[0] if flags else "",
            )
    return None
