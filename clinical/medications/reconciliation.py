"""Medication reconciliation: the clinician decides continue, stop (with a reason) or modify for
every active medication (orders and statements), and the whole reconciliation is written as one
FHIR transaction, which any FHIR client can read back:

- each stopped MedicationRequest / MedicationStatement gets status `stopped` and a coded
  `statusReason` (medicationrequest-status-reason);
- a `List` records the reconciliation itself: `code` medications
  (http://terminology.hl7.org/CodeSystem/list-example-use-codes), `mode` snapshot, `status`
  current, `subject`, `encounter` (the active one), `date`, `source` (the clinician), and one
  `entry` per medication reviewed, its `flag` the decision in the FHIR "Patient Medicine Change
  Types" (http://terminology.hl7.org/CodeSystem/list-item-flag: 01 unchanged, 02 changed,
  05 ceased; a modify's note in `flag.text`).

Decision support reads it back: cds/services/discharge_readiness.py counts a medication as
reconciled when such a List, dated at or after the encounter's start, has an entry for it."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from clinical.fhir.practitioners import practitioner_ensure
from clinical.fhir.reads import repository_for
from clinical.fhir.writes import audit_write, now_instant, require_permission
from clinical.medications.selectors import ReconcileItem
from clinical.medications.services import medication_stopped
from clinical.roles import SIGN_ORDERS

LIST_USE = "http://terminology.hl7.org/CodeSystem/list-example-use-codes"
CHANGE_FLAG = "http://terminology.hl7.org/CodeSystem/list-item-flag"
CONTINUE, STOP, MODIFY = "continue", "stop", "modify"
FLAGS = {CONTINUE: ("01", "Unchanged"), MODIFY: ("02", "Changed"), STOP: ("05", "Ceased")}


@dataclass(frozen=True)
class Decision:
    item: ReconcileItem
    decision: str  # continue, stop, modify
    reason_code: str = ""  # stop: medicationrequest-status-reason
    reason_display: str = ""
    comment: str = ""


@transaction.atomic
def medication_reconcile(
    *,
    patient_id: str,
    decisions: list[Decision],
    encounter_id: str | None,
    acting_user: AbstractBaseUser,
) -> str:
    """Write the stops and the reconciliation List in one transaction; returns the List's id.
    Raises FhirError (nothing written) when the store refuses, e.g. a medication changed since
    it was shown (VersionConflict)."""
    require_permission(acting_user, SIGN_ORDERS, "reconcile medications")
    repository = repository_for(acting_user)
    source = practitioner_ensure(user=acting_user, repository=repository)
    stops = [d for d in decisions if d.decision == STOP]
    list_url = f"urn:uuid:{uuid.uuid4()}"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            *(_stop_entry(d) for d in stops),
            {
                "fullUrl": list_url,
                "resource": _reconciliation_list(patient_id, decisions, encounter_id, source),
                "request": {"method": "POST", "url": "List"},
            },
        ],
    }
    response = repository.transaction(bundle, base_url=settings.FHIR_BASE_URL)
    list_id = response["entry"][-1]["response"]["location"].split("/")[1]
    for d in stops:
        audit_write(
            user=acting_user,
            action="update",
            patient_id=patient_id,
            reference=d.item.reference,
            description=f"medication stopped at reconciliation ({d.reason_display}): {d.item.name}",
        )
    audit_write(
        user=acting_user,
        action="create",
        patient_id=patient_id,
        reference=f"List/{list_id}",
        description=f"medications reconciled ({len(decisions)} reviewed, {len(stops)} stopped)",
    )
    return list_id


def _stop_entry(decision: Decision) -> dict[str, Any]:
    resource = medication_stopped(
        decision.item.resource,
        reason_code=decision.reason_code,
        reason_display=decision.reason_display,
        comment=decision.comment,
    )
    url = decision.item.reference
    version = resource["meta"]["versionId"]
    return {
        "fullUrl": url,
        "resource": resource,
        "request": {"method": "PUT", "url": url, "ifMatch": f'W/"{version}"'},
    }


def _reconciliation_list(
    patient_id: str,
    decisions: list[Decision],
    encounter_id: str | None,
    source: dict[str, str],
) -> dict[str, Any]:
    reconciliation: dict[str, Any] = {
        "resourceType": "List",
        "status": "current",
        "mode": "snapshot",
        "title": "Medication reconciliation",
        "code": {
            "coding": [{"system": LIST_USE, "code": "medications", "display": "Medication List"}]
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "date": now_instant(),
        "source": source,
        "entry": [_list_entry(d) for d in decisions],
    }
    if encounter_id:
        reconciliation["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    if not decisions:
        reconciliation["emptyReason"] = {"text": "No active medications"}
    return reconciliation


def _list_entry(decision: Decision) -> dict[str, Any]:
    code, display = FLAGS[decision.decision]
    flag: dict[str, Any] = {"coding": [{"system": CHANGE_FLAG, "code": code, "display": display}]}
    if decision.comment:
        flag["text"] = f"{display}: {decision.comment}"
    return {
        "flag": flag,
        "item": {"reference": decision.item.reference, "display": decision.item.name},
    }
