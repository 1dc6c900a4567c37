"""The pharmacist's actions on a medication order: verify, return to the prescriber, reject,
dispense; and the prescriber's answer to a return (resubmit).

Each one is a FHIR write through the repository, in one transaction, as the acting user, and
audited. The caller passes the version of the order the user saw: the write uses it as If-Match,
so when two people act on the same order at once one wins and the other gets VersionConflict
(nothing is verified or dispensed twice)."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clinical.chart_access.selectors import chart_access_check
from clinical.fhir.codes import ACT_CODE, MEDICATION_STATUS_REASON
from clinical.fhir.practitioners import practitioner_ensure
from clinical.fhir.reads import Resource, reference_id, repository_for
from clinical.fhir.writes import audit_write, now_instant, require_permission
from clinical.medications.selectors import medication_name
from clinical.pharmacy.dispenses import dispensed_quantities
from clinical.pharmacy.selectors import order_row, pharmacy_order
from clinical.pharmacy.states import (
    DISPENSABLE,
    REJECTABLE,
    RETURNABLE,
    VERIFIABLE,
    PharmacyState,
    pharmacy_state,
    version_of,
    with_state,
)
from clinical.roles import SIGN_ORDERS, VERIFY_ORDERS
from fhirapi.errors import VersionConflict

CLARIFICATION = "clarif"  # medicationrequest-status-reason: prescription requires clarification


@transaction.atomic
def order_verify(
    *, order_id: str, version: int, comment: str = "", acting_user: AbstractBaseUser
) -> Resource:
    order = _order_for_change(acting_user, order_id, version, VERIFIABLE, "verified")
    return _write(
        acting_user,
        order,
        version,
        lambda by, now: with_state(order, PharmacyState.VERIFIED, by=by, at=now, comment=comment),
        f"pharmacy verified: {medication_name(order)}",
    )


@transaction.atomic
def order_return(
    *, order_id: str, version: int, reason: str, acting_user: AbstractBaseUser
) -> Resource:
    """Back to the prescriber for clarification: on hold until they resubmit or stop it."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say what the prescriber should clarify.")
    order = _order_for_change(acting_user, order_id, version, RETURNABLE, "returned")

    def build(by: dict[str, str], now: str) -> Resource:
        held = {
            **order,
            "status": "on-hold",
            "statusReason": {
                "coding": [
                    {
                        "system": MEDICATION_STATUS_REASON,
                        "code": CLARIFICATION,
                        "display": "Prescription requires clarification",
                    }
                ],
                "text": reason,
            },
        }
        return with_state(held, PharmacyState.RETURNED, by=by, at=now, comment=reason)

    return _write(acting_user, order, version, build, f"pharmacy returned to prescriber: {reason}")


@transaction.atomic
def order_reject(
    *,
    order_id: str,
    version: int,
    reason_code: str,
    reason_display: str,
    comment: str,
    acting_user: AbstractBaseUser,
) -> Resource:
    """Refuse the order for good: cancelled, with the coded reason."""
    order = _order_for_change(acting_user, order_id, version, REJECTABLE, "rejected")
    text = f"{reason_display}: {comment}" if comment else reason_display

    def build(by: dict[str, str], now: str) -> Resource:
        cancelled = {
            **order,
            "status": "cancelled",
            "statusReason": {
                "coding": [
                    {
                        "system": MEDICATION_STATUS_REASON,
                        "code": reason_code,
                        "display": reason_display,
                    }
                ],
                "text": text,
            },
        }
        return with_state(cancelled, PharmacyState.REJECTED, by=by, at=now, comment=text)

    return _write(acting_user, order, version, build, f"pharmacy rejected: {text}")


@transaction.atomic
def order_resubmit(
    *, order_id: str, version: int, comment: str, acting_user: AbstractBaseUser
) -> Resource:
    """The prescriber answers a return: the order is active and pending verification again."""
    require_permission(acting_user, SIGN_ORDERS, "resubmit medication orders")
    order = _current(acting_user, order_id, version)
    if pharmacy_state(order) != PharmacyState.RETURNED:
        raise ValidationError("Only an order the pharmacy returned can be resubmitted.")

    def build(by: dict[str, str], now: str) -> Resource:
        active = {k: v for k, v in order.items() if k != "statusReason"}
        active["status"] = "active"
        note = f"Resubmitted after clarification: {comment}" if comment else "Resubmitted"
        return with_state(active, PharmacyState.PENDING, by=by, at=now, comment=note)

    return _write(acting_user, order, version, build, f"resubmitted to the pharmacy: {comment}")


@transaction.atomic
def medication_dispense(
    *,
    order_id: str,
    version: int,
    quantity: Decimal,
    unit: str,
    lot: str,
    expiry: date,
    acting_user: AbstractBaseUser,
) -> str:
    """Dispense (part of) a verified order: a MedicationDispense, and the order's state
    dispensed or partially-dispensed against dispenseRequest.quantity. Returns its id."""
    if quantity <= 0:
        raise ValidationError("Dispense a quantity above zero.")
    order = _order_for_change(acting_user, order_id, version, DISPENSABLE, "dispensed")
    ordered = order_row(order).quantity_ordered
    before = dispensed_quantities(user=acting_user, order_ids=[order_id]).get(order_id, Decimal(0))
    state = PharmacyState.DISPENSED
    if ordered is not None:
        remaining = ordered - before
        if remaining <= 0:
            raise ValidationError("This order has been dispensed in full.")
        if quantity > remaining:
            raise ValidationError(
                f"Only {_number(remaining)} remain to dispense of the {_number(ordered)} ordered."
            )
        if before + quantity < ordered:
            state = PharmacyState.PARTIALLY_DISPENSED
    repository = repository_for(acting_user)
    by = practitioner_ensure(user=acting_user, repository=repository)
    now = now_instant()
    stored = repository.update(
        "MedicationRequest",
        order_id,
        with_state(order, state, by=by, at=now),
        if_match=version,
    ).stored
    dispense = _dispense_resource(
        order,
        by=by,
        now=now,
        quantity=quantity,
        unit=unit,
        lot=lot,
        expiry=expiry,
        first=before == 0,
        complete=state == PharmacyState.DISPENSED,
    )
    created = repository.create(dispense).stored
    patient_id = _patient_id(order)
    what = f"{_number(quantity)} {unit} of {medication_name(order)} (lot {lot})"
    audit_write(
        user=acting_user,
        action="update",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=f"pharmacy {state.label.lower()}: {what}",
    )
    audit_write(
        user=acting_user,
        action="create",
        patient_id=patient_id,
        reference=created.relative_url,
        description=f"medication dispensed: {what}",
    )
    return created.resource_id


# -- helpers -----------------------------------------------------------------------------------


def _order_for_change(
    user: AbstractBaseUser, order_id: str, version: int, allowed: frozenset, what: str
) -> Resource:
    require_permission(user, VERIFY_ORDERS, f"mark medication orders {what}")
    order = _current(user, order_id, version)
    state = pharmacy_state(order)
    live = order.get("status") == "active" or state == PharmacyState.RETURNED
    if state not in allowed or not live:
        raise ValidationError(
            f"This order is {state.label.lower()} ({order.get('status')}): it cannot be {what}."
        )
    return order


def _current(user: AbstractBaseUser, order_id: str, version: int) -> Resource:
    """The order as stored now, if the user may open its chart and it is the version they saw."""
    order = pharmacy_order(user=user, order_id=order_id)
    if order is None:
        raise ValidationError("No such medication order.")
    if not chart_access_check(user=user, patient_id=_patient_id(order)).allowed:
        raise PermissionDenied("You may not open this patient's chart.")
    if version_of(order) != version:
        raise VersionConflict(
            f"MedicationRequest/{order_id} changed since you saw it "
            f"(version {version_of(order)}, you saw {version})"
        )
    return order


def _write(
    user: AbstractBaseUser, order: Resource, version: int, build, description: str
) -> Resource:
    repository = repository_for(user)
    by = practitioner_ensure(user=user, repository=repository)
    stored = repository.update(
        "MedicationRequest", order["id"], build(by, now_instant()), if_match=version
    ).stored
    audit_write(
        user=user,
        action="update",
        patient_id=_patient_id(order),
        reference=stored.relative_url,
        description=description,
    )
    return stored.content


def _dispense_resource(
    order: Resource,
    *,
    by: dict[str, str],
    now: str,
    quantity: Decimal,
    unit: str,
    lot: str,
    expiry: date,
    first: bool,
    complete: bool,
) -> dict[str, Any]:
    name = medication_name(order)
    fill = ("FF" if first else "RF") + ("C" if complete else "P")
    dispense: dict[str, Any] = {
        "resourceType": "MedicationDispense",
        "contained": [
            {
                "resourceType": "Medication",
                "id": "dispensed",
                "code": order.get("medicationCodeableConcept") or {"text": name},
                "batch": {"lotNumber": lot, "expirationDate": expiry.isoformat()},
            }
        ],
        "status": "completed",
        "type": {"coding": [{"system": ACT_CODE, "code": fill}]},
        "medicationReference": {"reference": "#dispensed", "display": name},
        "subject": order["subject"],
        "performer": [{"actor": by}],
        "authorizingPrescription": [{"reference": f"MedicationRequest/{order['id']}"}],
        "quantity": {"value": _json_number(quantity), "unit": unit},
        "whenPrepared": now,
        "whenHandedOver": now,
    }
    if order.get("encounter"):
        dispense["context"] = order["encounter"]
    if order.get("dosageInstruction"):
        dispense["dosageInstruction"] = order["dosageInstruction"]
    return dispense


def _patient_id(order: Resource) -> str:
    return reference_id(order.get("subject"), "Patient") or ""


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"
