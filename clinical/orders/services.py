"""Orders: a draft is written first (so decision support can name it), reviewed with the
order-sign hook, then signed (active), or discarded."""

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from clinical.catalog.catalog import CatalogItem, option
from clinical.fhir.codes import MEDICATION_REQUEST_CATEGORY, ROUTE, SNOMED, UCUM
from clinical.fhir.practitioners import practitioner_ensure
from clinical.fhir.reads import Resource, repository_for
from clinical.fhir.writes import audit_write, now_instant, require_permission
from clinical.medications.selectors import medication_name
from clinical.roles import SIGN_ORDERS

SERVICE_CATEGORIES = {
    "lab-tests": (SNOMED, "108252007", "Laboratory procedure"),
    "imaging": (SNOMED, "363679005", "Imaging"),
}
DOSE_UNIT_CODES = {"mg": "mg", "mL": "mL"}  # UCUM for measured units; counts use {unit}


def dosage_instruction(
    *, dose: Decimal, unit: str, route_key: str, frequency_key: str, note: str
) -> dict[str, Any]:
    route = option("routes", route_key)
    frequency = option("frequencies", frequency_key)
    if route is None or frequency is None:
        raise ValidationError("Unknown route or frequency.")
    repeat = {
        k: frequency[k]
        for k in ("frequency", "period", "periodUnit", "count", "when")
        if k in frequency
    }
    number = float(dose) if dose % 1 else int(dose)
    text = (
        f"{number:g} {unit} {route['display'].replace(' route', '').lower()} {frequency['display']}"
    )
    dosage: dict[str, Any] = {
        "text": text + (f" — {note}" if note else ""),
        "timing": {"repeat": repeat},
        "route": {
            "coding": [{"system": ROUTE, "code": route["code"], "display": route["display"]}],
            "text": route["display"],
        },
        "doseAndRate": [
            {
                "doseQuantity": {
                    "value": number,
                    "unit": unit,
                    "system": UCUM,
                    "code": DOSE_UNIT_CODES.get(unit, f"{{{unit}}}"),
                }
            }
        ],
    }
    if frequency.get("asNeeded"):
        dosage["asNeededBoolean"] = True
    if note:
        dosage["patientInstruction"] = note
    return dosage


@transaction.atomic
def medication_order_draft(
    *,
    patient_id: str,
    drug: CatalogItem,
    dosage: dict[str, Any],
    duration_days: int | None,
    encounter_id: str | None,
    acting_user: AbstractBaseUser,
) -> str:
    require_permission(acting_user, SIGN_ORDERS, "order medications")
    repository = repository_for(acting_user)
    order = medication_order_resource(
        patient_id=patient_id,
        drug=drug,
        dosage=dosage,
        duration_days=duration_days,
        encounter_id=encounter_id,
        requester=practitioner_ensure(user=acting_user, repository=repository),
    )
    stored = repository.create(order).stored
    audit_write(
        user=acting_user,
        action="create",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=f"medication order drafted: {drug.display}",
    )
    return stored.resource_id


def medication_order_resource(
    *,
    patient_id: str,
    drug: CatalogItem,
    dosage: dict[str, Any],
    duration_days: int | None,
    encounter_id: str | None,
    requester: dict[str, str],
) -> dict[str, Any]:
    """The draft MedicationRequest (not stored: order-select sees it while it is composed)."""
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "order",
        "category": [
            {
                "coding": [
                    {
                        "system": MEDICATION_REQUEST_CATEGORY,
                        "code": "inpatient" if encounter_id else "outpatient",
                    }
                ]
            }
        ],
        "medicationCodeableConcept": drug.concept(),
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": now_instant(),
        "requester": requester,
        "dosageInstruction": [dosage],
    }
    if encounter_id:
        order["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    if duration_days:
        order["dispenseRequest"] = {
            "expectedSupplyDuration": {
                "value": duration_days,
                "unit": "days",
                "system": UCUM,
                "code": "d",
            }
        }
    return order


@transaction.atomic
def service_order_draft(
    *,
    patient_id: str,
    kind: str,
    item: CatalogItem,
    priority: str,
    reason: str,
    encounter_id: str | None,
    acting_user: AbstractBaseUser,
) -> str:
    require_permission(acting_user, SIGN_ORDERS, "order tests")
    repository = repository_for(acting_user)
    requester = practitioner_ensure(user=acting_user, repository=repository)
    system, code, display = SERVICE_CATEGORIES[kind]
    order: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "priority": priority,
        "category": [
            {"coding": [{"system": system, "code": code, "display": display}], "text": display}
        ],
        "code": item.concept(),
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": now_instant(),
        "requester": requester,
    }
    if encounter_id:
        order["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    if reason:
        order["note"] = [{"text": reason}]
    stored = repository.create(order).stored
    audit_write(
        user=acting_user,
        action="create",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=f"{display.lower()} order drafted: {item.display}",
    )
    return stored.resource_id


def order_name(order: Resource) -> str:
    if order["resourceType"] == "MedicationRequest":
        return medication_name(order)
    from clinical.fhir.display import concept_text

    return concept_text(order.get("code"), "order")


@transaction.atomic
def order_sign(*, patient_id: str, order: Resource, acting_user: AbstractBaseUser) -> None:
    """Make a draft order final: status active, signed now by the acting clinician."""
    require_permission(acting_user, SIGN_ORDERS, "sign orders")
    if order.get("status") != "draft":
        raise ValidationError("Only a draft order can be signed.")
    repository = repository_for(acting_user)
    requester = practitioner_ensure(user=acting_user, repository=repository)
    signed = {
        **order,
        "status": "active",
        "intent": "order",
        "authoredOn": now_instant(),
        "requester": requester,
    }
    stored = repository.update(
        order["resourceType"], order["id"], signed, if_match=int(order["meta"]["versionId"])
    ).stored
    audit_write(
        user=acting_user,
        action="update",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=f"order signed: {order_name(order)}",
    )


@transaction.atomic
def order_discard(*, patient_id: str, order: Resource, acting_user: AbstractBaseUser) -> None:
    """Throw a draft away (it was never an order: deleted, the history keeps it)."""
    require_permission(acting_user, SIGN_ORDERS, "discard orders")
    if order.get("status") != "draft":
        raise ValidationError("Only a draft order can be discarded; stop an active one instead.")
    repository_for(acting_user).delete(order["resourceType"], order["id"])
    audit_write(
        user=acting_user,
        action="delete",
        patient_id=patient_id,
        reference=f"{order['resourceType']}/{order['id']}",
        description=f"draft order discarded: {order_name(order)}",
    )
