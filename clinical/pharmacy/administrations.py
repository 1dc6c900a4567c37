"""Recording a dose on the MAR: a MedicationAdministration, completed (given) or not-done (with
the reason), against a dispensed active order. A scheduled dose is recorded once: its identifier
names the order and the scheduled time, and the create is conditional on it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinical.chart_access.selectors import chart_access_check
from clinical.fhir.codes import SNOMED
from clinical.fhir.practitioners import practitioner_ensure
from clinical.fhir.reads import Resource, belongs_to, read, repository_for
from clinical.fhir.writes import audit_write, now_instant, require_permission
from clinical.medications.selectors import medication_name
from clinical.pharmacy.mar import EARLY, order_slots, slot_key
from clinical.pharmacy.states import (
    MAR_SLOT_SYSTEM,
    ON_MAR,
    SCHEDULED_TIME_URL,
    pharmacy_state,
)
from clinical.roles import EDIT_CHART
from fhirapi.store.writes import format_instant

NOT_GIVEN_SYSTEM = "http://terminology.hl7.org/CodeSystem/reason-medication-not-given"


@dataclass(frozen=True)
class NotGivenReason:
    key: str
    display: str
    system: str = ""
    code: str = ""


NOT_GIVEN_REASONS = (
    NotGivenReason("refused", "Patient refused", SNOMED, "182895007"),
    NotGivenReason("away", "Patient away from the ward", NOT_GIVEN_SYSTEM, "b"),
    NotGivenReason("asleep", "Patient asleep", NOT_GIVEN_SYSTEM, "c"),
    NotGivenReason("vomiting", "Patient vomiting", NOT_GIVEN_SYSTEM, "d"),
    NotGivenReason("held", "Held on clinical grounds"),
    NotGivenReason("unavailable", "Medication not available"),
    NotGivenReason("other", "Other (say why)"),
)
REASONS_BY_KEY = {reason.key: reason for reason in NOT_GIVEN_REASONS}


class DoseAlreadyRecorded(ValidationError):
    pass


@transaction.atomic
def administration_record(
    *,
    patient_id: str,
    order_id: str,
    slot: datetime | None,
    given: bool,
    reason_key: str = "",
    comment: str = "",
    acting_user: AbstractBaseUser,
) -> str:
    """Record one dose; `slot` is its scheduled time (None: an as-needed or unscheduled dose,
    given now). Returns the MedicationAdministration's id."""
    require_permission(acting_user, EDIT_CHART, "record medication administrations")
    if not chart_access_check(user=acting_user, patient_id=patient_id).allowed:
        raise PermissionDenied("You may not open this patient's chart.")
    order = read(acting_user, "MedicationRequest", order_id)
    if order is None or not belongs_to(order, patient_id) or order.get("intent") != "order":
        raise ValidationError("No such medication order in this chart.")
    if order.get("status") != "active" or pharmacy_state(order) not in ON_MAR:
        raise ValidationError("Only an active order the pharmacy has dispensed can be given.")
    reason = _reason(given, reason_key, comment)
    if slot is not None:
        _require_scheduled(order, slot)
    elif not given:
        raise ValidationError("A dose not given needs its scheduled time.")
    repository = repository_for(acting_user)
    by = practitioner_ensure(user=acting_user, repository=repository)
    administration = _administration(
        order, slot=slot, given=given, reason=reason, comment=comment, by=by
    )
    if slot is None:
        stored = repository.create(administration).stored
    else:
        key = slot_key(order_id, slot)
        administration["identifier"] = [{"system": MAR_SLOT_SYSTEM, "value": key}]
        outcome = repository.conditional_create(
            administration, if_none_exist=urlencode({"identifier": f"{MAR_SLOT_SYSTEM}|{key}"})
        )
        if not outcome.created:
            raise DoseAlreadyRecorded(_already(outcome.stored.content or {}))
        stored = outcome.stored
    done = "given" if given else f"not given ({reason.display if reason else ''})"
    when = f" for {slot.astimezone(timezone.get_current_timezone()):%Y-%m-%d %H:%M}" if slot else ""
    audit_write(
        user=acting_user,
        action="create",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=f"medication {done}{when}: {medication_name(order)}",
    )
    return stored.resource_id


def _reason(given: bool, key: str, comment: str) -> NotGivenReason | None:
    if given:
        return None
    reason = REASONS_BY_KEY.get(key)
    if reason is None:
        raise ValidationError("Say why the dose was not given.")
    if reason.key == "other" and not comment.strip():
        raise ValidationError("Say why the dose was not given (a comment).")
    return reason


def _require_scheduled(order: Resource, slot: datetime) -> None:
    tz = timezone.get_current_timezone()
    times, _ = order_slots(order, slot.astimezone(tz).date(), tz)
    if slot not in times:
        raise ValidationError("That is not a scheduled time of this order.")
    if slot > timezone.now() + EARLY:
        raise ValidationError("That dose is not due yet.")


def _administration(
    order: Resource,
    *,
    slot: datetime | None,
    given: bool,
    reason: NotGivenReason | None,
    comment: str,
    by: dict[str, str],
) -> dict[str, Any]:
    administration: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "status": "completed" if given else "not-done",
        "medicationCodeableConcept": order.get("medicationCodeableConcept")
        or {"text": medication_name(order)},
        "subject": order["subject"],
        "effectiveDateTime": now_instant() if given or slot is None else format_instant(slot),
        "performer": [{"actor": by}],
        "request": {"reference": f"MedicationRequest/{order['id']}"},
    }
    if slot is not None:
        administration["extension"] = [
            {"url": SCHEDULED_TIME_URL, "valueDateTime": format_instant(slot)}
        ]
    if order.get("encounter"):
        administration["context"] = order["encounter"]
    if reason is not None:
        concept: dict[str, Any] = {
            "text": f"{reason.display}: {comment}" if comment else reason.display
        }
        if reason.code:
            concept["coding"] = [
                {"system": reason.system, "code": reason.code, "display": reason.display}
            ]
        administration["statusReason"] = [concept]
    elif comment:
        administration["note"] = [{"text": comment}]
    dosage = _dosage(order)
    if dosage:
        administration["dosage"] = dosage
    return administration


def _dosage(order: Resource) -> dict[str, Any]:
    instruction = (order.get("dosageInstruction") or [{}])[0]
    dosage: dict[str, Any] = {}
    if instruction.get("text"):
        dosage["text"] = instruction["text"]
    if instruction.get("route"):
        dosage["route"] = instruction["route"]
    for dose in instruction.get("doseAndRate") or []:
        if dose.get("doseQuantity"):
            dosage["dose"] = dose["doseQuantity"]
            break
    return dosage


def _already(existing: Resource) -> str:
    performer = ((existing.get("performer") or [{}])[0].get("actor")) or {}
    status = "given" if existing.get("status") == "completed" else "recorded as not given"
    return f"This dose was already {status} by {performer.get('display') or 'someone else'}."
