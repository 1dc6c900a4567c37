from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.display import concept_text, parse_datetime
from clinical.fhir.reads import Resource, belongs_to, read, search
from clinical.pharmacy.states import PharmacyState, with_pharmacy

ACTIVE = ("active", "on-hold")
PAST = ("stopped", "completed", "cancelled", "entered-in-error")


@dataclass(frozen=True)
class MedicationRow:
    request_id: str
    name: str
    dosage: str
    status: str
    status_reason: str
    intent: str
    authored: datetime | None
    requester: str
    pharmacy: PharmacyState | None  # None: not an order for our pharmacy

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def medication_name(request: Resource) -> str:
    if "medicationCodeableConcept" in request:
        return concept_text(request["medicationCodeableConcept"], "unnamed medication")
    return (request.get("medicationReference") or {}).get("display", "unnamed medication")


def dosage_text(request: Resource) -> str:
    parts = []
    for dosage in request.get("dosageInstruction") or request.get("dosage") or []:
        if dosage.get("text"):
            parts.append(dosage["text"])
    return "; ".join(parts)


def medication_row(request: Resource) -> MedicationRow:
    return MedicationRow(
        request_id=request["id"],
        name=medication_name(request),
        dosage=dosage_text(request),
        status=request.get("status", ""),
        status_reason=concept_text(request.get("statusReason")),
        intent=request.get("intent", ""),
        authored=parse_datetime(request.get("authoredOn")),
        requester=(request.get("requester") or {}).get("display", ""),
        pharmacy=with_pharmacy(request),
    )


def patient_medications(
    *, user: AbstractBaseUser, patient_id: str, statuses: tuple[str, ...]
) -> list[MedicationRow]:
    found = search(
        user,
        "MedicationRequest",
        [("patient", patient_id), ("status", ",".join(statuses)), ("_sort", "-authoredon")],
        count=300,
    )
    return [medication_row(r) for r in found]


def patient_medication_request(
    *, user: AbstractBaseUser, patient_id: str, request_id: str
) -> Resource | None:
    request = read(user, "MedicationRequest", request_id)
    return request if belongs_to(request, patient_id) else None


@dataclass(frozen=True)
class ReconcileItem:
    """An active medication to reconcile: an order (MedicationRequest) or what the patient
    takes (MedicationStatement)."""

    resource: Resource
    name: str
    dosage: str

    @property
    def reference(self) -> str:
        return f"{self.resource['resourceType']}/{self.resource['id']}"

    @property
    def key(self) -> str:  # a form field prefix
        return self.reference.replace("/", "-")

    @property
    def kind(self) -> str:
        return "order" if self.resource["resourceType"] == "MedicationRequest" else "statement"


def reconcile_items(*, user: AbstractBaseUser, patient_id: str) -> list[ReconcileItem]:
    orders = search(
        user,
        "MedicationRequest",
        [("patient", patient_id), ("status", ",".join(ACTIVE)), ("_sort", "-authoredon")],
        count=300,
    )
    statements = search(
        user,
        "MedicationStatement",
        [("patient", patient_id), ("status", ",".join(ACTIVE))],
        count=300,
    )
    return [
        ReconcileItem(resource=r, name=medication_name(r), dosage=dosage_text(r))
        for r in (*orders, *statements)
    ]
