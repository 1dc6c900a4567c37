from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from clinical.fhir.display import concept_text, parse_datetime
from clinical.fhir.reads import Resource, belongs_to, read, search
from clinical.medications.selectors import dosage_text, medication_name

ORDER_TYPES = ("MedicationRequest", "ServiceRequest")


@dataclass(frozen=True)
class OrderRow:
    resource_type: str
    order_id: str
    name: str
    detail: str
    status: str
    priority: str
    authored: datetime | None
    requester: str

    @property
    def kind(self) -> str:
        return "Medication" if self.resource_type == "MedicationRequest" else "Lab / imaging"


def order_row(resource: Resource) -> OrderRow:
    medication = resource["resourceType"] == "MedicationRequest"
    notes = resource.get("note") or []
    return OrderRow(
        resource_type=resource["resourceType"],
        order_id=resource["id"],
        name=medication_name(resource)
        if medication
        else concept_text(resource.get("code"), "order"),
        detail=dosage_text(resource) if medication else (notes[0].get("text", "") if notes else ""),
        status=resource.get("status", ""),
        priority=resource.get("priority", ""),
        authored=parse_datetime(resource.get("authoredOn")),
        requester=(resource.get("requester") or {}).get("display", ""),
    )


def patient_orders(
    *, user: AbstractBaseUser, patient_id: str, statuses: tuple[str, ...]
) -> list[OrderRow]:
    rows = []
    for resource_type, sort in (
        ("MedicationRequest", "-authoredon"),
        ("ServiceRequest", "-authored"),
    ):
        found = search(
            user,
            resource_type,
            [("patient", patient_id), ("status", ",".join(statuses)), ("_sort", sort)],
            count=100,
        )
        rows += [order_row(r) for r in found]
    return sorted(rows, key=lambda r: r.authored.timestamp() if r.authored else 0, reverse=True)


def patient_order(
    *, user: AbstractBaseUser, patient_id: str, resource_type: str, order_id: str
) -> Resource | None:
    if resource_type not in ORDER_TYPES:
        return None
    order = read(user, resource_type, order_id)
    return order if belongs_to(order, patient_id) else None


def active_medication_names(*, user: AbstractBaseUser, patient_id: str) -> list[str]:
    found = search(
        user, "MedicationRequest", [("patient", patient_id), ("status", "active")], count=200
    )
    return sorted(medication_name(r) for r in found)
