"""What the CapabilityStatement says about searching: per resource type, every parameter the engine
can search on, with its type and (in `documentation`, as R4 has no element for them) the modifiers
it supports; for the whole server, the parameters common to every type and the Patient compartment.
`searchInclude`/`searchRevInclude` are not listed: `_include` is not supported yet."""

from typing import Any

from fhirapi.search.query import FULL_TEXT, SUPPORTED_MODIFIERS, searchable
from fhirapi.search.registry import ParamType, SearchParam, parameters_for

PATIENT_COMPARTMENT = "http://hl7.org/fhir/CompartmentDefinition/patient"


def search_capability(resource_type: str) -> dict[str, Any]:
    parameters = parameters_for(resource_type)
    return {
        "searchParam": [
            _search_param(param) for _, param in sorted(parameters.items()) if searchable(param)
        ],
    }


def system_search_capability() -> dict[str, Any]:
    """For CapabilityStatement.rest: the parameters of every type (`Resource`'s), compartments."""
    common = [p for p in parameters_for("Patient").values() if "Resource" in p.base]
    return {
        "searchParam": [_search_param(p) for p in sorted(common, key=lambda p: p.code)],
        "compartment": [PATIENT_COMPARTMENT],
    }


def supported_modifiers(param: SearchParam) -> list[str]:
    if param.code in FULL_TEXT:
        return []
    modifiers = sorted(SUPPORTED_MODIFIERS.get(param.type, ()))
    return [*modifiers, "[type]"] if param.type == ParamType.REFERENCE else modifiers


def _search_param(param: SearchParam) -> dict[str, Any]:
    modifiers = supported_modifiers(param)
    documentation = param.description.strip()
    if modifiers:
        documentation = f"{documentation}\n\nModifiers: {', '.join(modifiers)}.".strip()
    entry = {"name": param.code, "definition": param.url, "type": str(param.type)}
    return {**entry, **({"documentation": documentation} if documentation else {})}
