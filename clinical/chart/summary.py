"""What the Summary tab shows: a handful of searches, each bounded."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from clinical.chart.header import allergy_summary, is_current_allergy, is_no_known_allergy
from clinical.fhir.display import concept_text
from clinical.fhir.reads import search
from clinical.medications.selectors import ACTIVE, MedicationRow, patient_medications
from clinical.problems.selectors import ProblemRow, patient_problems
from clinical.results.selectors import ResultRow, recent_abnormal_results
from clinical.vitals.definitions import ALL_KINDS
from clinical.vitals.selectors import Reading, patient_vitals


@dataclass(frozen=True)
class Summary:
    problems: list[ProblemRow]
    medications: list[MedicationRow]
    allergy_status: str
    allergies: list[str]
    latest_vitals: list[Reading]
    abnormal_results: list[ResultRow]


def chart_summary(*, user: AbstractBaseUser, patient_id: str) -> Summary:
    allergies = search(user, "AllergyIntolerance", [("patient", patient_id)], count=200)
    status, _ = allergy_summary(allergies)
    current = [
        concept_text(a.get("code"), "unnamed allergy")
        + (f" ({a['criticality']} criticality)" if a.get("criticality") else "")
        for a in allergies
        if is_current_allergy(a) and not is_no_known_allergy(a)
    ]
    latest = patient_vitals(user=user, patient_id=patient_id, count=40).latest()
    return Summary(
        problems=patient_problems(user=user, patient_id=patient_id, active_only=True),
        medications=patient_medications(user=user, patient_id=patient_id, statuses=ACTIVE),
        allergy_status=status,
        allergies=sorted(current),
        latest_vitals=[latest[k.key] for k in ALL_KINDS if k.key in latest],
        abnormal_results=recent_abnormal_results(user=user, patient_id=patient_id),
    )
