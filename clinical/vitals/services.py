"""Recording a set of vital signs: one Observation per measurement (blood pressure as one panel
with two components, BMI derived from weight and height), written in one transaction."""

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction

from clinical.fhir.codes import INTERPRETATION, OBSERVATION_CATEGORY, UCUM, concept
from clinical.fhir.practitioners import practitioner_ensure
from clinical.fhir.reads import repository_for
from clinical.roles import EDIT_CHART
from clinical.vitals.definitions import (
    BLOOD_PRESSURE_PANEL,
    BMI,
    DIASTOLIC,
    HEIGHT,
    SIMPLE_KINDS,
    SYSTOLIC,
    WEIGHT,
    VitalKind,
    loinc_coding,
)
from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record
from fhirapi.store.writes import format_instant


@transaction.atomic
def vitals_record(
    *,
    patient_id: str,
    values: dict[str, float],
    taken_at: datetime,
    encounter_id: str | None,
    acting_user: AbstractBaseUser,
) -> list[str]:
    """Write the measurements; returns the new Observations' references."""
    if not acting_user.has_perm(EDIT_CHART):
        raise PermissionDenied("Recording vital signs needs a clinical role.")
    repository = repository_for(acting_user)
    performer = practitioner_ensure(user=acting_user, repository=repository)
    base: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [concept(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": format_instant(taken_at),
        "issued": format_instant(datetime.now(tz=taken_at.tzinfo)),
        "performer": [performer],
    }
    if encounter_id:
        base["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    entries: dict[str, dict[str, Any]] = {}
    if SYSTOLIC.key in values and DIASTOLIC.key in values:
        entries[SYSTOLIC.key] = _blood_pressure(base, values[SYSTOLIC.key], values[DIASTOLIC.key])
    for kind in SIMPLE_KINDS:
        if kind.key in values:
            entries[kind.key] = _simple(base, kind, values[kind.key])
    full_urls = {key: f"urn:uuid:{uuid.uuid4()}" for key in entries}
    if WEIGHT.key in values and HEIGHT.key in values and BMI.key not in values:
        bmi = values[WEIGHT.key] / (values[HEIGHT.key] / 100) ** 2
        entries[BMI.key] = _simple(base, BMI, round(bmi, 1))
        entries[BMI.key]["derivedFrom"] = [
            {"reference": full_urls[WEIGHT.key]},
            {"reference": full_urls[HEIGHT.key]},
        ]
        full_urls[BMI.key] = f"urn:uuid:{uuid.uuid4()}"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": full_urls[key],
                "resource": resource,
                "request": {"method": "POST", "url": "Observation"},
            }
            for key, resource in entries.items()
        ],
    }
    response = repository.transaction(bundle, base_url=settings.FHIR_BASE_URL)
    created = [_location(entry) for entry in response.get("entry") or []]
    for reference in created:
        audit_record(
            kind=REST_KINDS["create"],
            username=acting_user.get_username(),
            patient_id=patient_id,
            resource_type="Observation",
            resource_id=reference.split("/")[1],
            description="workspace: vital signs recorded",
        )
    return created


def _location(entry: dict[str, Any]) -> str:
    location = (entry.get("response") or {}).get("location", "")
    return "/".join(location.split("/")[:2])


def _quantity(kind: VitalKind, value: float) -> dict[str, Any]:
    return {"value": value, "unit": kind.unit_label, "system": UCUM, "code": kind.unit}


def _flag(kind: VitalKind, value: float) -> list[dict[str, Any]]:
    if kind.band is None:
        return []
    low, high = kind.band
    code, display = (
        ("H", "High") if value > high else ("L", "Low") if value < low else ("N", "Normal")
    )
    return [concept(INTERPRETATION, code, display)]


def _simple(base: dict[str, Any], kind: VitalKind, value: float) -> dict[str, Any]:
    resource = {
        **base,
        "code": {"coding": [loinc_coding(kind.code, kind.display)], "text": kind.label},
        "valueQuantity": _quantity(kind, value),
    }
    if flag := _flag(kind, value):
        resource["interpretation"] = flag
    return resource


def _blood_pressure(base: dict[str, Any], systolic: float, diastolic: float) -> dict[str, Any]:
    flags = {
        c["coding"][0]["code"] for c in _flag(SYSTOLIC, systolic) + _flag(DIASTOLIC, diastolic)
    }
    code = "H" if "H" in flags else "L" if "L" in flags else "N"
    return {
        **base,
        "code": {"coding": [loinc_coding(*BLOOD_PRESSURE_PANEL)], "text": "Blood pressure"},
        "interpretation": [
            concept(INTERPRETATION, code, {"H": "High", "L": "Low", "N": "Normal"}[code])
        ],
        "component": [
            {
                "code": {"coding": [loinc_coding(SYSTOLIC.code, SYSTOLIC.display)]},
                "valueQuantity": _quantity(SYSTOLIC, systolic),
            },
            {
                "code": {"coding": [loinc_coding(DIASTOLIC.code, DIASTOLIC.display)]},
                "valueQuantity": _quantity(DIASTOLIC, diastolic),
            },
        ],
    }
