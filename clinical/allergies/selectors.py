from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.chart.header import allergy_summary, is_no_known_allergy
from clinical.fhir.codes import ALLERGY_CLINICAL, ALLERGY_VERIFICATION
from clinical.fhir.display import concept_text, first_coding, parse_datetime
from clinical.fhir.reads import Resource, belongs_to, read, search


@dataclass(frozen=True)
class AllergyRow:
    allergy_id: str
    substance: str
    code: str
    system: str
    category: str
    criticality: str
    clinical_status: str
    verification: str
    reactions: str
    severity: str
    recorded: datetime | None
    no_known_allergy: bool
    version: str

    @property
    def entered_in_error(self) -> bool:
        return self.verification == "entered-in-error"


def allergy_row(allergy: Resource) -> AllergyRow:
    coding = first_coding(allergy.get("code"))
    reactions = allergy.get("reaction") or []
    return AllergyRow(
        allergy_id=allergy["id"],
        substance=concept_text(allergy.get("code"), "unnamed substance"),
        code=coding.get("code", ""),
        system=coding.get("system", ""),
        category=", ".join(allergy.get("category") or []),
        criticality=allergy.get("criticality", ""),
        clinical_status=first_coding(allergy.get("clinicalStatus"), ALLERGY_CLINICAL).get(
            "code", ""
        ),
        verification=first_coding(allergy.get("verificationStatus"), ALLERGY_VERIFICATION).get(
            "code", ""
        ),
        reactions="; ".join(
            concept_text(m) for r in reactions for m in r.get("manifestation") or []
        ),
        severity=next((r["severity"] for r in reactions if r.get("severity")), ""),
        recorded=parse_datetime(allergy.get("recordedDate")),
        no_known_allergy=is_no_known_allergy(allergy),
        version=(allergy.get("meta") or {}).get("versionId", ""),
    )


@dataclass(frozen=True)
class Allergies:
    status: str  # see chart.header: recorded, none-known, not-recorded
    rows: list[AllergyRow]
    resources: list[Resource]


def patient_allergies(*, user: AbstractBaseUser, patient_id: str) -> Allergies:
    found = search(user, "AllergyIntolerance", [("patient", patient_id)], count=200)
    status, _ = allergy_summary(found)
    rows = sorted(
        (allergy_row(a) for a in found),
        key=lambda r: (r.entered_in_error, r.clinical_status != "active", r.substance.lower()),
    )
    return Allergies(status, rows, found)


def patient_allergy(*, user: AbstractBaseUser, patient_id: str, allergy_id: str) -> Resource | None:
    allergy = read(user, "AllergyIntolerance", allergy_id)
    return allergy if belongs_to(allergy, patient_id) else None
