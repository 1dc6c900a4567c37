from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from clinical.fhir.codes import MEDICATION_STATUS_REASON
from clinical.fhir.reads import repository_for
from clinical.fhir.writes import audit_write, require_permission
from clinical.medications.selectors import ACTIVE, medication_name
from clinical.roles import SIGN_ORDERS


@transaction.atomic
def medication_stop(
    *,
    patient_id: str,
    request: dict[str, Any],
    reason_code: str,
    reason_display: str,
    comment: str,
    acting_user: AbstractBaseUser,
) -> None:
    """Stop an active MedicationRequest: status stopped, statusReason coded (+ the comment)."""
    require_permission(acting_user, SIGN_ORDERS, "stop medications")
    if request.get("status") not in ACTIVE:
        raise ValidationError("Only an active medication can be stopped.")
    changed = medication_stopped(
        request, reason_code=reason_code, reason_display=reason_display, comment=comment
    )
    stored = (
        repository_for(acting_user)
        .update(
            "MedicationRequest", request["id"], changed, if_match=int(request["meta"]["versionId"])
        )
        .stored
    )
    audit_write(
        user=acting_user,
        action="update",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=f"medication stopped ({reason_display}): {medication_name(request)}",
    )


def medication_stopped(
    medication: dict[str, Any], *, reason_code: str, reason_display: str, comment: str
) -> dict[str, Any]:
    """The MedicationRequest or MedicationStatement with status stopped and the coded reason
    (+ the comment); a statement's statusReason is a list."""
    reason = {
        "coding": [
            {"system": MEDICATION_STATUS_REASON, "code": reason_code, "display": reason_display}
        ],
        "text": f"{reason_display}: {comment}" if comment else reason_display,
    }
    statement = medication["resourceType"] == "MedicationStatement"
    return {**medication, "status": "stopped", "statusReason": [reason] if statement else reason}
