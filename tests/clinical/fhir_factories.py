"""FHIR resources for the workspace tests: one builder per resource, plain dicts, and a patient
with a long history (2,000+ resources) written in one create_many."""

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fhirapi.services import FhirRepository

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
MR_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def patient(
    family: str = "Okafor",
    given: str = "Amara",
    birth_date: str = "1961-04-12",
    gender: str = "female",
    mrn: str | None = None,
) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [
            {
                "type": MR_TYPE,
                "system": "urn:wintehr:mrn",
                "value": mrn or f"MRN{uuid.uuid4().hex[:6]}",
            }
        ],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "gender": gender,
        "birthDate": birth_date,
    }


def location(name: str, kind: str = "wa", part_of: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "status": "active",
        "name": name,
        "physicalType": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                    "code": kind,
                }
            ]
        },
    }
    if part_of:
        resource["partOf"] = {"reference": f"Location/{part_of}"}
    return resource


def encounter(
    patient_id: str,
    *,
    status: str = "in-progress",
    location_id: str | None = None,
    start: datetime = NOW,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": status,
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "IMP",
            "display": "inpatient encounter",
        },
        "type": [
            {
                "coding": [{"system": SNOMED, "code": "32485007", "display": "Hospital admission"}],
                "text": "Hospital admission",
            }
        ],
        "subject": {"reference": f"Patient/{patient_id}"},
        "period": {"start": instant(start)}
        | ({"end": instant(start + timedelta(days=2))} if status == "finished" else {}),
    }
    if location_id:
        resource["location"] = [
            {"location": {"reference": f"Location/{location_id}"}, "status": "active"}
        ]
    return resource


def condition(
    patient_id: str,
    code: str = "44054006",
    display: str = "Diabetes mellitus type 2",
    status: str = "active",
) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": status,
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "code": {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{patient_id}"},
        "onsetDateTime": "2015-06-01",
    }


def allergy(
    patient_id: str, code: str = "764146007", display: str = "Penicillin", system: str = SNOMED
) -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "code": "confirmed",
                }
            ]
        },
        "category": ["medication"],
        "criticality": "high",
        "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
        "patient": {"reference": f"Patient/{patient_id}"},
    }


def no_known_allergy(patient_id: str) -> dict[str, Any]:
    resource = allergy(patient_id, "716186003", "No known allergy")
    del resource["category"], resource["criticality"]
    return resource


def medication_request(
    patient_id: str,
    code: str = "855332",
    display: str = "Warfarin Sodium 5 MG Oral Tablet",
    status: str = "active",
    authored: datetime = NOW,
) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": code, "display": display}],
            "text": display,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": instant(authored),
        "dosageInstruction": [{"text": "1 tablet daily"}],
    }


def medication_statement(
    patient_id: str,
    code: str = "314076",
    display: str = "lisinopril 10 MG Oral Tablet",
    status: str = "active",
) -> dict[str, Any]:
    """What the patient says they take (not ordered here)."""
    return {
        "resourceType": "MedicationStatement",
        "status": status,
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": code, "display": display}],
            "text": display,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "dosage": [{"text": "1 tablet daily"}],
    }


def lab(
    patient_id: str,
    *,
    code: str = "2823-3",
    display: str = "Potassium",
    value: float = 4.1,
    unit: str = "mmol/L",
    low: float = 3.5,
    high: float = 5.1,
    flag: str | None = None,
    when: datetime = NOW,
    based_on: str | None = None,
) -> dict[str, Any]:
    if flag is None:
        flag = "H" if value > high else "L" if value < low else "N"
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": instant(when),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
        "interpretation": [{"coding": [{"system": INTERPRETATION, "code": flag}]}],
        "referenceRange": [
            {"low": {"value": low, "unit": unit}, "high": {"value": high, "unit": unit}}
        ],
    }
    if based_on:
        resource["basedOn"] = [{"reference": based_on}]
    return resource


def vital(
    patient_id: str,
    *,
    code: str = "8867-4",
    display: str = "Heart rate",
    value: float = 72,
    unit: str = "/min",
    when: datetime = NOW,
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": instant(when),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


def blood_pressure(
    patient_id: str, systolic: float, diastolic: float, when: datetime = NOW
) -> dict[str, Any]:
    def component(code: str, value: float) -> dict[str, Any]:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
        }

    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": instant(when),
        "component": [component("8480-6", systolic), component("8462-4", diastolic)],
    }


def report(
    patient_id: str,
    result_ids: list[str],
    when: datetime = NOW,
    code: str = "51990-0",
    display: str = "Basic metabolic panel",
) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": instant(when),
        "result": [{"reference": f"Observation/{i}"} for i in result_ids],
    }


def note(patient_id: str, text: str = "Stable.", when: datetime = NOW) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "docStatus": "final",
        "type": {"coding": [{"system": LOINC, "code": "11506-3", "display": "Progress note"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "date": instant(when),
        "description": "Progress note",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": base64.b64encode(text.encode()).decode(),
                }
            }
        ],
    }


def service_request(
    patient_id: str,
    requester: str | None = None,
    code: str = "51990-0",
    display: str = "Basic metabolic panel",
    status: str = "active",
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": status,
        "intent": "order",
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": instant(NOW),
    }
    if requester:
        resource["requester"] = {"reference": requester}
    return resource


def create(resource: dict[str, Any]) -> str:
    return FhirRepository().create(resource).stored.resource_id


def long_history_patient(total: int = 2000) -> str:
    """A patient with `total` resources (+1): years of vitals, labs in panels, notes, meds,
    problems, allergies, encounters, orders. Written with create_many (bulk path)."""
    repository = FhirRepository()
    patient_id = create(patient("Longhistory", "Lena", mrn="MRN-LONG"))
    rows: list[tuple[dict[str, Any], str]] = []

    def add(resource: dict[str, Any]) -> str:
        resource_id = uuid.uuid4().hex[:20]
        rows.append((resource, resource_id))
        return resource_id

    for i in range(8):
        add(encounter(patient_id, status="finished", start=NOW - timedelta(days=400 + i * 30)))
    add(encounter(patient_id, status="in-progress"))
    for i in range(20):
        add(condition(patient_id, status="active" if i % 2 else "resolved"))
    for i in range(40):
        add(
            medication_request(
                patient_id,
                status="active" if i < 10 else "stopped",
                authored=NOW - timedelta(days=i),
            )
        )
    for _ in range(6):
        add(allergy(patient_id))
    for _ in range(25):
        add(service_request(patient_id))
    for i in range(60):
        add(note(patient_id, f"Visit {i}", NOW - timedelta(days=i * 7)))
    index = 0
    while len(rows) < total:
        when = NOW - timedelta(hours=6 * index)
        if index % 3 == 0:
            add(blood_pressure(patient_id, 120 + index % 30, 80 - index % 10, when))
            add(vital(patient_id, value=60 + index % 40, when=when))
        else:
            panel = [
                add(lab(patient_id, value=3.0 + (index % 25) / 10, when=when)),
                add(
                    lab(
                        patient_id,
                        code="2951-2",
                        display="Sodium",
                        value=135 + index % 9,
                        unit="mmol/L",
                        low=136,
                        high=145,
                        when=when,
                    )
                ),
            ]
            add(report(patient_id, panel, when))
        index += 1
    with repository.deferred_reference_checks():
        repository.create_many(rows[:total])
    return patient_id
