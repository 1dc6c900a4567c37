"""Acknowledging a result: the extension cds/ reads (cds.services.critical_results), written
on the Observation, by the clinician who ordered it (anyone who may sign orders when no order
names its clinician)."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from cds.services.critical_results import acknowledgement, is_acknowledged
from clinical.fhir.practitioners import practitioner_ensure, practitioner_id
from clinical.fhir.reads import by_ids, reference_id, repository_for
from clinical.fhir.writes import audit_write, now_instant, require_permission
from clinical.roles import SIGN_ORDERS


def ordering_clinicians(*, user: AbstractBaseUser, observation: dict[str, Any]) -> set[str]:
    """Practitioner ids that requested the orders this result answers."""
    order_ids = [
        i for ref in observation.get("basedOn") or [] if (i := reference_id(ref, "ServiceRequest"))
    ]
    orders = by_ids(user, "ServiceRequest", order_ids)
    return {
        i
        for order in orders.values()
        if (i := reference_id(order.get("requester"), "Practitioner"))
    }


@transaction.atomic
def result_acknowledge(
    *, patient_id: str, observation: dict[str, Any], acting_user: AbstractBaseUser
) -> None:
    require_permission(acting_user, SIGN_ORDERS, "acknowledge results")
    if is_acknowledged(observation):
        raise ValidationError("This result is already acknowledged.")
    orderers = ordering_clinicians(user=acting_user, observation=observation)
    if orderers and practitioner_id(acting_user) not in orderers:
        raise PermissionDenied("Only the clinician who ordered this test may acknowledge it.")
    repository = repository_for(acting_user)
    by = practitioner_ensure(user=acting_user, repository=repository)
    extension = acknowledgement(now_instant(), by["reference"])
    for part in extension["extension"]:
        if part["url"] == "by":
            part["valueReference"]["display"] = by["display"]
    changed = {**observation, "extension": [*(observation.get("extension") or []), extension]}
    stored = repository.update(
        "Observation",
        observation["id"],
        changed,
        if_match=int(observation["meta"]["versionId"]),
    ).stored
    audit_write(
        user=acting_user,
        action="update",
        patient_id=patient_id,
        reference=stored.relative_url,
        description="result acknowledged",
    )
