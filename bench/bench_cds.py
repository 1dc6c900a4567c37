"""CDS Hooks benchmark: latency of the workspace's in-process call_hooks with every built-in
service (and no external ones) on one patient holding 2,000 resources.

Run: .venv/bin/python bench/bench_cds.py
Target: p95 <= 200 ms for patient-view and for order-sign (and order-select, which the
workspace calls on each change of the medication order form).
"""

import statistics
import time
from datetime import UTC, datetime, timedelta

from _setup import django_ready, empty_store, print_table

django_ready()

from django.contrib.auth import get_user_model  # noqa: E402

from cds.client import call_hooks  # noqa: E402
from cds.models import ExternalCdsService  # noqa: E402
from clinical.roles import ensure_role_groups  # noqa: E402
from fhirapi.services import FhirRepository  # noqa: E402
from fhirapi.store.writes import new_resource_id  # noqa: E402

RUNS = 60
ACTIVE = {
    "coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
    ]
}
LOINC, SNOMED = "http://loinc.org", "http://snomed.info/sct"
RXNORM, CVX = "http://www.nlm.nih.gov/research/umls/rxnorm", "http://hl7.org/fhir/sid/cvx"
LAB = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory",
            }
        ]
    }
]
LABS = [
    ("4548-4", "Hemoglobin A1c", 7.4, "%"),
    ("33914-3", "eGFR", 41, "mL/min/{1.73_m2}"),
    ("2823-3", "Potassium", 4.4, "mmol/L"),
    ("2160-0", "Creatinine", 1.4, "mg/dL"),
    ("718-7", "Hemoglobin", 12.9, "g/dL"),
    ("2345-7", "Glucose", 142, "mg/dL"),
]
DRUGS = [
    ("855332", "Warfarin Sodium 5 MG Oral Tablet"),
    ("314076", "lisinopril 10 MG Oral Tablet"),
    ("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"),
    ("312961", "Simvastatin 20 MG Oral Tablet"),
    ("197361", "Amlodipine 5 MG Oral Tablet"),
]


def when(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


def chart_resources(patient: str) -> list[dict]:
    subject = {"reference": f"Patient/{patient}"}
    resources: list[dict] = []
    for code, display in [
        ("44054006", "Diabetes mellitus type 2"),
        ("38341003", "Hypertension"),
        ("433144002", "Chronic kidney disease stage 3"),
    ] * 10:
        resources.append(
            {
                "resourceType": "Condition",
                "clinicalStatus": ACTIVE,
                "subject": subject,
                "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
            }
        )
    for i in range(1500):
        code, display, value, unit = LABS[i % len(LABS)]
        resources.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": LAB,
                "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                "subject": subject,
                "effectiveDateTime": when(i * 1.5),
                "valueQuantity": {"value": value, "unit": unit},
            }
        )
    for i in range(300):
        resources.append(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
                "subject": subject,
                "effectiveDateTime": when(i * 3),
                "component": [
                    {
                        "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                        "valueQuantity": {"value": 150, "unit": "mm[Hg]"},
                    },
                    {
                        "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                        "valueQuantity": {"value": 92, "unit": "mm[Hg]"},
                    },
                ],
            }
        )
    for i in range(40):
        resources.append(
            {
                "resourceType": "Immunization",
                "status": "completed",
                "patient": subject,
                "vaccineCode": {"coding": [{"system": CVX, "code": "140"}]},
                "occurrenceDateTime": when(400 + i * 365),
            }
        )
    for i in range(120):
        code, display = DRUGS[i % len(DRUGS)]
        resources.append(
            {
                "resourceType": "MedicationRequest",
                "intent": "order",
                "subject": subject,
                "status": "active" if i < len(DRUGS) else "completed",
                "medicationCodeableConcept": {
                    "coding": [{"system": RXNORM, "code": code, "display": display}]
                },
            }
        )
    resources += [
        {
            "resourceType": "AllergyIntolerance",
            "patient": subject,
            "code": {
                "coding": [
                    {"system": SNOMED, "code": "91936005", "display": "Allergy to penicillin"}
                ]
            },
        }
    ] * 9
    return resources


def load_patient() -> str:
    empty_store()
    ExternalCdsService.objects.all().delete()
    repository = FhirRepository()
    patient = repository.create(
        {"resourceType": "Patient", "gender": "male", "birthDate": "1950-03-02"}
    ).stored.resource_id
    resources = chart_resources(patient)
    repository.create_many([(r, new_resource_id()) for r in resources])
    return patient


def timed(hook: str, context: dict, user, patient: str) -> tuple[list[float], int]:
    times, cards = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        results = call_hooks(hook=hook, context=context, user=user, patient_id=patient)
        times.append((time.perf_counter() - started) * 1000)
        cards = len(results)
        assert not any(r.failed for r in results), [r.error for r in results if r.failed]
    return times, cards


def main() -> None:
    patient = load_patient()
    user, _ = get_user_model().objects.get_or_create(username="bench-cds")
    user.groups.add(ensure_role_groups()["physician"])  # CDS reads with the user's role
    drafts = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "draft-1",
                    "status": "draft",
                    "intent": "order",
                    "subject": {"reference": f"Patient/{patient}"},
                    "medicationCodeableConcept": {
                        "coding": [
                            {
                                "system": RXNORM,
                                "code": "243670",
                                "display": "Aspirin 81 MG Oral Tablet",
                            }
                        ]
                    },
                }
            },
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "draft-2",
                    "status": "draft",
                    "intent": "order",
                    "subject": {"reference": f"Patient/{patient}"},
                    "medicationCodeableConcept": {
                        "coding": [
                            {"system": RXNORM, "code": "860975", "display": "Metformin ER 500 MG"}
                        ]
                    },
                }
            },
        ],
    }
    cases = [
        ("patient-view", {"userId": "Practitioner/bench"}),
        ("order-sign", {"userId": "Practitioner/bench", "draftOrders": drafts}),
        (  # called on each change of the medication order form while it is composed
            "order-select",
            {
                "userId": "Practitioner/bench",
                "selections": ["MedicationRequest/draft-1"],
                "draftOrders": drafts,
            },
        ),
    ]
    rows = []
    for hook, context in cases:
        timed(hook, context, user, patient)  # warm-up
        times, cards = timed(hook, context, user, patient)
        p95 = statistics.quantiles(times, n=20)[-1]
        rows.append(
            [
                hook,
                RUNS,
                cards,
                f"{statistics.median(times):.1f}",
                f"{p95:.1f}",
                f"{max(times):.1f}",
                "yes" if p95 <= 200 else "NO",
            ]
        )
    print_table(
        f"CDS Hooks call_hooks, all built-in services, one patient with "
        f"{len(chart_resources(patient)) + 1} resources",
        ["hook", "runs", "cards", "p50 ms", "p95 ms", "max ms", "p95 <= 200 ms"],
        rows,
    )
    print("\nReproduce: .venv/bin/python bench/bench_cds.py")


if __name__ == "__main__":
    main()
