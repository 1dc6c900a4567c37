"""Problem-list writes: add, edit and resolve Conditions (category problem-list-item)."""

from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from clinical.catalog.catalog import CatalogItem
from clinical.fhir.codes import CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION
from clinical.fhir.practitioners import practitioner_ensure
from clinical.fhir.reads import repository_for
from clinical.fhir.writes import audit_write, now_instant, require_permission
from clinical.roles import EDIT_CHART


class ProblemNotFound(Exception):
    pass


def _status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


@transaction.atomic
def problem_add(
    *,
    patient_id: str,
    item: CatalogItem,
    onset: date | None,
    clinical_status: str,
    verification: str,
    note: str,
    acting_user: AbstractBaseUser,
) -> str:
    require_permission(acting_user, EDIT_CHART, "edit the problem list")
    repository = repository_for(acting_user)
    recorder = practitioner_ensure(user=acting_user, repository=repository)
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "clinicalStatus": _status(CONDITION_CLINICAL, clinical_status),
        "verificationStatus": _status(CONDITION_VERIFICATION, verification),
        "category": [
            {
                "coding": [
                    {
                        "system": CONDITION_CATEGORY,
                        "code": "problem-list-item",
                        "display": "Problem List Item",
                    }
                ]
            }
        ],
        "code": item.concept(),
        "subject": {"reference": f"Patient/{patient_id}"},
        "recordedDate": now_instant(),
        "recorder": recorder,
    }
    if onset:
        condition["onsetDateTime"] = onset.isoformat()
    if clinical_status == "resolved":
        condition["abatementDateTime"] = (onset or date.today()).isoformat()
    if note.strip():
        condition["note"] = [{"text": note.strip(), "authorReference": recorder}]
    stored = repository.create(condition).stored
    audit_write(
        user=acting_user,
        action="create",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=f"problem added: {item.display}",
    )
    return stored.resource_id


@transaction.atomic
def problem_update(
    *,
    patient_id: str,
    condition: dict[str, Any],
    item: CatalogItem | None,
    onset: date | None,
    clinical_status: str,
    verification: str,
    note: str,
    version: int | None,
    acting_user: AbstractBaseUser,
) -> None:
    """Change a problem; `version` is the one the user saw (a newer one is a VersionConflict)."""
    require_permission(acting_user, EDIT_CHART, "edit the problem list")
    changed = dict(condition)
    if item is not None:
        changed["code"] = item.concept()
    changed["clinicalStatus"] = _status(CONDITION_CLINICAL, clinical_status)
    changed["verificationStatus"] = _status(CONDITION_VERIFICATION, verification)
    changed.pop("onsetPeriod", None)
    if onset:
        changed["onsetDateTime"] = onset.isoformat()
    else:
        changed.pop("onsetDateTime", None)
    if clinical_status in ("resolved", "inactive", "remission"):
        changed.setdefault("abatementDateTime", date.today().isoformat())
    else:
        changed.pop("abatementDateTime", None)
    if note.strip():
        changed["note"] = [{"text": note.strip()}]
    else:
        changed.pop("note", None)
    _write(acting_user, patient_id, changed, version, "problem edited")


@transaction.atomic
def problem_resolve(
    *,
    patient_id: str,
    condition: dict[str, Any],
    resolved_on: date,
    acting_user: AbstractBaseUser,
) -> None:
    require_permission(acting_user, EDIT_CHART, "edit the problem list")
    changed = {
        **condition,
        "clinicalStatus": _status(CONDITION_CLINICAL, "resolved"),
        "abatementDateTime": resolved_on.isoformat(),
    }
    _write(acting_user, patient_id, changed, None, "problem resolved")


def _write(
    user: AbstractBaseUser,
    patient_id: str,
    condition: dict[str, Any],
    version: int | None,
    description: str,
) -> None:
    repository = repository_for(user)
    stored = repository.update("Condition", condition["id"], condition, if_match=version).stored
    audit_write(
        user=user,
        action="update",
        patient_id=patient_id,
        reference=stored.relative_url,
        description=description,
    )
