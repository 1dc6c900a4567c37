from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from clinical.catalog.catalog import CatalogItem
from clinical.encounters.forms import CLASS_DISPLAY, DISPOSITIONS, TYPES
from clinical.encounters.selectors import OPEN_STATUSES
from clinical.fhir.codes import ACT_CODE, SNOMED
from clinical.fhir.practitioners import practitioner_ensure
from clinical.fhir.reads import repository_for, search
from clinical.fhir.writes import audit_write, now_instant, require_permission
from clinical.roles import EDIT_CHART

PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
DISCHARGE = "http://terminology.hl7.org/CodeSystem/discharge-disposition"


@transaction.atomic
def encounter_start(
    *,
    patient_id: str,
    encounter_class: str,
    encounter_type: str,
    location_id: str | None,
    reason: CatalogItem | None,
    acting_user: AbstractBaseUser,
) -> str:
    """Check the patient in: an in-progress Encounter (one open encounter at a time)."""
    require_permission(acting_user, EDIT_CHART, "start encounters")
    if search(
        acting_user,
        "Encounter",
        [("patient", patient_id), ("status", ",".join(OPEN_STATUSES))],
        count=1,
    ):
        raise ValidationError("The patient already has an open encounter: discharge it first.")
    repository = repository_for(acting_user)
    clinician = practitioner_ensure(user=acting_user, repository=repository)
    now = now_instant()
    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": "in-progress",
        "class": {
            "system": ACT_CODE,
            "code": encounter_class,
            "display": CLASS_DISPLAY[encounter_class],
        },
        "type": [
            {
                "coding": [
                    {
                        "system": SNOMED,
                        "code": encounter_type,
                        "display": dict(TYPES)[encounter_type],
                    }
                ],
                "text": dict(TYPES)[encounter_type],
            }
        ],
        "subject": {"reference": f"Patient/{patient_id}"},
        "participant": [
            {
                "type": [
                    {"coding": [{"system": PARTICIPATION, "code": "ATND", "display": "attender"}]}
                ],
                "individual": clinician,
                "period": {"start": now},
            }
        ],
        "period": {"start": now},
    }
    if location_id:
        encounter["location"] = [
            {
                "location": {"reference": f"Location/{location_id}"},
                "status": "active",
                "period": {"start": now},
            }
        ]
    if reason is not None:
        encounter["reasonCode"] = [reason.concept()]
    stored = repository.create(encounter).stored
    audit_write(
        user=acting_user,
        action="create",
        patient_id=patient_id,
        reference=stored.relative_url,
        description="encounter started (check-in)",
    )
    return stored.resource_id


@transaction.atomic
def encounter_discharge(
    *, patient_id: str, encounter: dict[str, Any], disposition: str, acting_user: AbstractBaseUser
) -> None:
    require_permission(acting_user, EDIT_CHART, "discharge patients")
    if encounter.get("status") not in OPEN_STATUSES:
        raise ValidationError("This encounter has already ended.")
    now = now_instant()
    changed = {
        **encounter,
        "status": "finished",
        "period": {**(encounter.get("period") or {}), "end": now},
        "location": [
            {**item, "status": "completed", "period": {**(item.get("period") or {}), "end": now}}
            for item in encounter.get("location") or []
        ],
        "hospitalization": {
            **(encounter.get("hospitalization") or {}),
            "dischargeDisposition": {
                "coding": [
                    {
                        "system": DISCHARGE,
                        "code": disposition,
                        "display": dict(DISPOSITIONS)[disposition],
                    }
                ]
            },
        },
    }
    if not changed["location"]:
        del changed["location"]
    stored = (
        repository_for(acting_user)
        .update("Encounter", encounter["id"], changed, if_match=int(encounter["meta"]["versionId"]))
        .stored
    )
    audit_write(
        user=acting_user,
        action="update",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=f"encounter discharged ({dict(DISPOSITIONS)[disposition]})",
    )
