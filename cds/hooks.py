"""The hooks WintEHR's CDS services answer, and what each hook's `context` must hold
(CDS Hooks library: patient-view 1.0, order-select 1.0, order-sign 1.0, encounter-discharge 1.0;
medication-prescribe 1.0 (STU3, deprecated) is accepted as an alias of order-select/order-sign)."""

import re
from dataclasses import dataclass
from typing import Any

USER_TYPES = ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson")
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
RELATIVE_REFERENCE = re.compile(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})")


@dataclass(frozen=True)
class ContextField:
    name: str
    kind: str  # "user", "id", "references" (array of relative references), "bundle"
    required: bool
    prefetch_token: bool


@dataclass(frozen=True)
class Hook:
    name: str
    fields: tuple[ContextField, ...]


_USER = ContextField("userId", "user", True, True)
_PATIENT = ContextField("patientId", "id", True, True)
_ENCOUNTER = ContextField("encounterId", "id", False, True)

HOOKS: dict[str, Hook] = {
    "patient-view": Hook("patient-view", (_USER, _PATIENT, _ENCOUNTER)),
    "order-select": Hook(
        "order-select",
        (
            _USER,
            _PATIENT,
            _ENCOUNTER,
            ContextField("selections", "references", True, False),
            ContextField("draftOrders", "bundle", True, False),
        ),
    ),
    "order-sign": Hook(
        "order-sign",
        (_USER, _PATIENT, _ENCOUNTER, ContextField("draftOrders", "bundle", True, False)),
    ),
    "encounter-discharge": Hook(
        "encounter-discharge", (_USER, _PATIENT, ContextField("encounterId", "id", True, True))
    ),
    "medication-prescribe": Hook(
        "medication-prescribe",
        (_USER, _PATIENT, _ENCOUNTER, ContextField("medications", "bundle", True, False)),
    ),
}
# A service declared for the key also answers requests sent with these hooks.
ALIASES: dict[str, tuple[str, ...]] = {
    "order-select": ("medication-prescribe",),
    "order-sign": ("medication-prescribe",),
}
SERVICE_HOOKS = ("patient-view", "order-select", "order-sign", "encounter-discharge")


def accepted_hooks(service_hooks: tuple[str, ...]) -> set[str]:
    return set(service_hooks).union(*(ALIASES.get(h, ()) for h in service_hooks))


def context_errors(hook_name: str, context: dict[str, Any]) -> list[str]:
    """What is wrong with a request's context for its hook; empty when it is valid."""
    hook = HOOKS[hook_name]
    errors = []
    for spec in hook.fields:
        if spec.name not in context or context[spec.name] is None:
            if spec.required:
                errors.append(f"context.{spec.name} is required by the {hook_name} hook")
            continue
        if problem := _field_problem(spec, context[spec.name]):
            errors.append(f"context.{spec.name} {problem}")
    return errors


def _field_problem(spec: ContextField, value: Any) -> str | None:
    if spec.kind == "user":
        match = RELATIVE_REFERENCE.fullmatch(value) if isinstance(value, str) else None
        if not match or match.group(1) not in USER_TYPES:
            return f"must be a reference to one of {', '.join(USER_TYPES)} (e.g. Practitioner/123)"
    elif spec.kind == "id":
        if not isinstance(value, str) or not FHIR_ID.fullmatch(value):
            return "must be a FHIR id (1-64 of A-Z a-z 0-9 - .)"
    elif spec.kind == "references":
        if not isinstance(value, list) or not all(
            isinstance(v, str) and RELATIVE_REFERENCE.fullmatch(v) for v in value
        ):
            return "must be an array of relative references (e.g. MedicationRequest/123)"
    elif spec.kind == "bundle":
        return _bundle_problem(value)
    return None


def _bundle_problem(value: Any) -> str | None:
    if isinstance(value, list):  # DSTU2-era medication-prescribe sent a bare array of resources
        value = {"resourceType": "Bundle", "entry": [{"resource": r} for r in value]}
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        return "must be a FHIR Bundle"
    entries = value.get("entry") or []
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("resource"), dict) for e in entries
    ):
        return "must be a Bundle whose entries each hold a resource"
    return None


def normalized_context(hook_name: str, context: dict[str, Any]) -> dict[str, Any]:
    """The context as services read it: medication-prescribe's `medications` becomes
    `draftOrders` (a Bundle), so one service answers both."""
    if hook_name != "medication-prescribe":
        return context
    medications = context.get("medications")
    if isinstance(medications, list):
        medications = {"resourceType": "Bundle", "entry": [{"resource": r} for r in medications]}
    return {**context, "draftOrders": medications}
