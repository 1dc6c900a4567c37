"""Small FHIR resources with real codes for the CDS tests, written through FhirRepository."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fhirapi.services import FhirRepository

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


def born_years_ago(years: int) -> str:
    today = datetime.now(UTC).date()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


class Chart:
    """One patient and the resources written for them."""

    def __init__(self, repository: FhirRepository, *, age: int = 60, gender: str = "female"):
        self.repository = repository
        self.patient_id = self.add(
            {
                "resourceType": "Patient",
                "name": [{"family": "Testpatient", "given": ["Ada"]}],
                "gender": gender,
                "birthDate": born_years_ago(age),
            }
        )

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.patient_id}"}

    def add(self, resource: dict[str, Any]) -> str:
        return self.repository.create(resource).stored.resource_id

    def read(self, reference: str) -> dict[str, Any]:
        resource_type, resource_id = reference.split("/")
        return self.repository.read(resource_type, resource_id).content

    def condition(self, code: str, display: str, *, status: str = "active") -> str:
        return self.add(
            {
                "resourceType": "Condition",
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": status,
                        }
                    ]
                },
                "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
                "subject": self.subject,
            }
        )

    def lab(
        self,
        code: str,
        display: str,
        value: float,
        unit: str,
        *,
        days_ago: float = 1,
        status: str = "final",
        interpretation: str | None = None,
        **extra: Any,
    ) -> str:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": status,
            "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "subject": self.subject,
            "effectiveDateTime": ago(days_ago),
            "valueQuantity": {"value": value, "unit": unit},
            **extra,
        }
        if interpretation:
            resource["interpretation"] = [
                {"coding": [{"system": INTERPRETATION, "code": interpretation}]}
            ]
        return self.add(resource)

    def blood_pressure(self, systolic: float, diastolic: float, *, days_ago: float = 1) -> str:
        def component(code: str, display: str, value: float) -> dict[str, Any]:
            return {
                "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                "valueQuantity": {"value": value, "unit": "mm[Hg]"},
            }

        return self.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}],
                "code": {"coding": [{"system": LOINC, "code": "85354-9", "display": "BP panel"}]},
                "subject": self.subject,
                "effectiveDateTime": ago(days_ago),
                "component": [
                    component("8480-6", "Systolic blood pressure", systolic),
                    component("8462-4", "Diastolic blood pressure", diastolic),
                ],
            }
        )

    def immunization(self, cvx: str, display: str, *, days_ago: float) -> str:
        return self.add(
            {
                "resourceType": "Immunization",
                "status": "completed",
                "vaccineCode": {"coding": [{"system": CVX, "code": cvx, "display": display}]},
                "patient": self.subject,
                "occurrenceDateTime": ago(days_ago),
            }
        )

    def medication(self, rxcui: str, display: str, *, status: str = "active", **extra) -> str:
        return self.add(medication_request(self.patient_id, rxcui, display, status=status, **extra))

    def allergy(self, system: str, code: str, display: str) -> str:
        return self.add(
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
                "code": {"coding": [{"system": system, "code": code, "display": display}]},
                "patient": self.subject,
            }
        )


def medication_request(
    patient_id: str, rxcui: str, display: str, *, status: str = "draft", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": rxcui, "display": display}],
            "text": display,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        **extra,
    }


def draft_bundle(*requests: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in requests],
    }
