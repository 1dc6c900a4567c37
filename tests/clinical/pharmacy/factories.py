"""FHIR resources for the pharmacy tests: a small hospital (two wards with beds), admitted
patients and signed inpatient medication orders, written through FhirRepository."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from clinical.fhir.practitioners import practitioner_ensure
from fhirapi.services import FhirRepository

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
LOCATION_TYPES = "http://terminology.hl7.org/CodeSystem/location-physical-type"
CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
WARFARIN = ("855332", "Warfarin Sodium 5 MG Oral Tablet")
AMOXICILLIN = ("308192", "Amoxicillin 500 MG Oral Tablet")
LISINOPRIL = ("314076", "lisinopril 10 MG Oral Tablet")
METHOTREXATE = ("105586", "Methotrexate 10 MG Oral Tablet")
DAILY = {"frequency": 1, "period": 1, "periodUnit": "d"}
WEEKLY = {"frequency": 1, "period": 1, "periodUnit": "wk"}
Q4H = {"frequency": 1, "period": 4, "periodUnit": "h"}


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def create(resource: dict[str, Any]) -> str:
    return FhirRepository().create(resource).stored.resource_id


def read(resource_type: str, resource_id: str) -> dict[str, Any]:
    return FhirRepository().read(resource_type, resource_id).content


def location(name: str, kind: str, part_of: str | None = None) -> str:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "status": "active",
        "name": name,
        "physicalType": {"coding": [{"system": LOCATION_TYPES, "code": kind}]},
    }
    if part_of:
        resource["partOf"] = {"reference": f"Location/{part_of}"}
    return create(resource)


@dataclass
class Hospital:
    hospital: str
    cardiology: str
    surgery: str
    beds: dict[str, str]  # "cardio-1" -> Location id


def hospital() -> Hospital:
    building = location("General Hospital", "bu")
    cardiology = location("Cardiology ward", "wa", building)
    surgery = location("Surgical ward", "wa", building)
    beds = {f"cardio-{n}": location(f"Bed C{n}", "bd", cardiology) for n in (1, 2, 3)}
    beds |= {f"surgery-{n}": location(f"Bed S{n}", "bd", surgery) for n in (1, 2, 3)}
    return Hospital(building, cardiology, surgery, beds)


def patient(family: str = "Okafor", given: str = "Amara", mrn: str = "") -> str:
    return create(
        {
            "resourceType": "Patient",
            "identifier": [
                {
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                "code": "MR",
                            }
                        ]
                    },
                    "system": "urn:wintehr:mrn",
                    "value": mrn or f"MRN-{family.upper()}",
                }
            ],
            "name": [{"use": "official", "family": family, "given": [given]}],
            "gender": "female",
            "birthDate": "1950-04-12",
        }
    )


def admission(patient_id: str, bed: str) -> str:
    return create(
        {
            "resourceType": "Encounter",
            "status": "in-progress",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "subject": {"reference": f"Patient/{patient_id}"},
            "period": {"start": instant(ago(days=3))},
            "location": [{"location": {"reference": f"Location/{bed}"}, "status": "active"}],
        }
    )


def prescriber(user) -> dict[str, str]:
    return practitioner_ensure(user=user, repository=FhirRepository())


def order(
    patient_id: str,
    *,
    encounter_id: str | None = None,
    requester: dict[str, str] | None = None,
    drug: tuple[str, str] = WARFARIN,
    priority: str | None = None,
    authored: datetime | None = None,
    quantity: float | None = None,
    timing: dict[str, Any] | None = None,
    as_needed: bool = False,
    status: str = "active",
    category: str = "inpatient",
    **extra: Any,
) -> str:
    dosage: dict[str, Any] = {
        "text": "1 tablet by mouth",
        "timing": {"repeat": timing or DAILY},
        "doseAndRate": [
            {"doseQuantity": {"value": 1, "unit": "tablet", "system": UCUM, "code": "{tablet}"}}
        ],
    }
    if as_needed:
        dosage["asNeededBoolean"] = True
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": drug[0], "display": drug[1]}],
            "text": drug[1],
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": instant(authored or ago(hours=1)),
        "dosageInstruction": [dosage],
        **extra,
    }
    if encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    if requester:
        resource["requester"] = requester
    if priority:
        resource["priority"] = priority
    if quantity is not None:
        resource["dispenseRequest"] = {"quantity": {"value": quantity, "unit": "tablet"}}
    return create(resource)


def allergy(patient_id: str, code: str = "91936005", display: str = "Allergy to penicillin") -> str:
    return create(
        {
            "resourceType": "AllergyIntolerance",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": {
                "coding": [{"system": SNOMED, "code": code, "display": display}],
                "text": display,
            },
            "patient": {"reference": f"Patient/{patient_id}"},
        }
    )


def lab(
    patient_id: str,
    code: str,
    value: float,
    unit: str,
    *,
    when: datetime | None = None,
    flag: str = "",
) -> str:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": instant(when or ago(days=1)),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    if flag:
        resource["interpretation"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                        "code": flag,
                    }
                ]
            }
        ]
    return create(resource)
