"""Allergy writes. Recording a real allergy retires a standing "no known allergy" in the same
transaction, and "no known allergy" is refused while real allergies stand."""

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from clinical.allergies.forms import MANIFESTATION_SYSTEM
from clinical.catalog.catalog import CatalogItem
from clinical.chart.header import is_current_allergy, is_no_known_allergy
from clinical.fhir.codes import ALLERGY_CLINICAL, ALLERGY_VERIFICATION, NO_KNOWN_ALLERGY, SNOMED
from clinical.fhir.practitioners import practitioner_ensure
from clinical.fhir.reads import Resource, repository_for
from clinical.fhir.writes import audit_write, now_instant, require_permission
from clinical.roles import EDIT_CHART


def _status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def allergy_details(
    *,
    category: str,
    criticality: str,
    clinical_status: str,
    verification: str,
    manifestation: tuple[str, str] | None,
    severity: str,
    onset: date | None,
    note: str,
) -> dict[str, Any]:
    """The parts of an AllergyIntolerance a form sets (`manifestation`: SNOMED code, display)."""
    details: dict[str, Any] = {
        "clinicalStatus": _status(ALLERGY_CLINICAL, clinical_status),
        "verificationStatus": _status(ALLERGY_VERIFICATION, verification),
        "category": [category],
        "criticality": criticality,
    }
    if manifestation:
        reaction: dict[str, Any] = {
            "manifestation": [
                {
                    "coding": [
                        {
                            "system": MANIFESTATION_SYSTEM,
                            "code": manifestation[0],
                            "display": manifestation[1],
                        }
                    ],
                    "text": manifestation[1],
                }
            ]
        }
        if severity:
            reaction["severity"] = severity
        details["reaction"] = [reaction]
    if onset:
        details["onsetDateTime"] = onset.isoformat()
    if note.strip():
        details["note"] = [{"text": note.strip()}]
    return details


@transaction.atomic
def allergy_add(
    *,
    patient_id: str,
    item: CatalogItem,
    details: dict[str, Any],
    existing: list[Resource],
    acting_user: AbstractBaseUser,
) -> str:
    """Record an allergy; `existing` are the patient's AllergyIntolerances (a standing "no known
    allergy" among them is made inactive in the same transaction)."""
    require_permission(acting_user, EDIT_CHART, "record allergies")
    repository = repository_for(acting_user)
    recorder = practitioner_ensure(user=acting_user, repository=repository)
    allergy = {
        "resourceType": "AllergyIntolerance",
        **details,
        "code": item.concept(),
        "patient": {"reference": f"Patient/{patient_id}"},
        "recordedDate": now_instant(),
        "recorder": recorder,
    }
    new_url = f"urn:uuid:{uuid.uuid4()}"
    entries = [
        {
            "fullUrl": new_url,
            "resource": allergy,
            "request": {"method": "POST", "url": "AllergyIntolerance"},
        }
    ]
    retired = [a for a in existing if is_no_known_allergy(a) and is_current_allergy(a)]
    for standing in retired:
        entries.append(
            {
                "resource": {**standing, "clinicalStatus": _status(ALLERGY_CLINICAL, "inactive")},
                "request": {"method": "PUT", "url": f"AllergyIntolerance/{standing['id']}"},
            }
        )
    response = repository.transaction(
        {"resourceType": "Bundle", "type": "transaction", "entry": entries},
        base_url=settings.FHIR_BASE_URL,
    )
    references = [
        "/".join((e.get("response") or {}).get("location", "").split("/")[:2])
        for e in response.get("entry") or []
    ]
    new_reference = references[0]
    audit_write(
        user=acting_user,
        action="create",
        patient_id=patient_id,
        reference=new_reference,
        description=f"allergy recorded: {item.display}",
    )
    for standing in retired:
        audit_write(
            user=acting_user,
            action="update",
            patient_id=patient_id,
            reference=f"AllergyIntolerance/{standing['id']}",
            description="'no known allergy' retired by a recorded allergy",
        )
    return new_reference.split("/")[1]


@transaction.atomic
def no_known_allergies_record(
    *, patient_id: str, existing: list[Resource], acting_user: AbstractBaseUser
) -> str:
    require_permission(acting_user, EDIT_CHART, "record allergies")
    standing = [a for a in existing if is_current_allergy(a)]
    if any(not is_no_known_allergy(a) for a in standing):
        raise ValidationError(
            "The patient has recorded allergies: mark them entered-in-error or inactive first."
        )
    if standing:
        raise ValidationError("“No known allergies” is already recorded.")
    repository = repository_for(acting_user)
    recorder = practitioner_ensure(user=acting_user, repository=repository)
    stored = repository.create(
        {
            "resourceType": "AllergyIntolerance",
            "clinicalStatus": _status(ALLERGY_CLINICAL, "active"),
            "verificationStatus": _status(ALLERGY_VERIFICATION, "confirmed"),
            "code": {
                "coding": [
                    {"system": SNOMED, "code": NO_KNOWN_ALLERGY, "display": "No known allergy"}
                ],
                "text": "No known allergies",
            },
            "patient": {"reference": f"Patient/{patient_id}"},
            "recordedDate": now_instant(),
            "recorder": recorder,
        }
    ).stored
    audit_write(
        user=acting_user,
        action="create",
        patient_id=patient_id,
        reference=stored.relative_url,
        description="no known allergies recorded",
    )
    return stored.resource_id


@transaction.atomic
def allergy_update(
    *,
    patient_id: str,
    allergy: Resource,
    item: CatalogItem | None,
    details: dict[str, Any],
    version: int | None,
    acting_user: AbstractBaseUser,
) -> None:
    require_permission(acting_user, EDIT_CHART, "record allergies")
    changed = {
        k: v
        for k, v in allergy.items()
        if k not in ("reaction", "onsetDateTime", "note", "criticality")
    }
    changed.update(details)
    if item is not None:
        changed["code"] = item.concept()
    stored = (
        repository_for(acting_user)
        .update("AllergyIntolerance", allergy["id"], changed, if_match=version)
        .stored
    )
    audit_write(
        user=acting_user,
        action="update",
        patient_id=patient_id,
        reference=stored.relative_url,
        description="allergy edited",
    )


@transaction.atomic
def allergy_mark_entered_in_error(
    *, patient_id: str, allergy: Resource, reason: str, acting_user: AbstractBaseUser
) -> None:
    """The entry was a mistake: verification entered-in-error (no clinical status, as FHIR
    requires), the reason kept as a note. The resource stays, for the record."""
    require_permission(acting_user, EDIT_CHART, "record allergies")
    changed = {k: v for k, v in allergy.items() if k != "clinicalStatus"}
    changed["verificationStatus"] = _status(ALLERGY_VERIFICATION, "entered-in-error")
    changed["note"] = [*(allergy.get("note") or []), {"text": f"Entered in error: {reason}"}]
    stored = repository_for(acting_user).update("AllergyIntolerance", allergy["id"], changed).stored
    audit_write(
        user=acting_user,
        action="update",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=f"allergy marked entered-in-error: {reason}",
    )
