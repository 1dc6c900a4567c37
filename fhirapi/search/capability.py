"""What the CapabilityStatement says about searching: per resource type, every parameter the engine
can search on, with its type and (in `documentation`, as R4 has no element for them) the modifiers
it supports; `searchInclude` (the type's reference parameters, with each target, and `*`) and
`searchRevInclude` (every reference parameter of any type that may point to this type); for the
whole server, the parameters common to every type and the Patient compartment."""

from functools import lru_cache
from typing import Any

from fhirapi.search.query import FULL_TEXT, SUPPORTED_MODIFIERS, searchable
from fhirapi.search.registry import (
    ParamType,
    SearchParam,
    generation,
    parameters_for,
    resource_types,
)

PATIENT_COMPARTMENT = "http://hl7.org/fhir/CompartmentDefinition/patient"


def search_capability(resource_type: str) -> dict[str, Any]:
    parameters = parameters_for(resource_type)
    return {
        "searchInclude": search_includes(resource_type),
        "searchRevInclude": list(_rev_includes(generation()).get(resource_type, ())),
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


def search_includes(resource_type: str) -> list[str]:
    """`*`, then `Type:param` and `Type:param:Target` for each reference parameter."""
    values = ["*"]
    for code, param in sorted(parameters_for(resource_type).items()):
        if param.type == ParamType.REFERENCE and searchable(param):
            values.append(f"{resource_type}:{code}")
            values += [f"{resource_type}:{code}:{target}" for target in sorted(param.targets)]
    return values


@lru_cache(maxsize=2)
def _rev_includes(registry_generation: int) -> dict[str, tuple[str, ...]]:
    """Per target type, the `Source:param` that may point to it (per registry generation)."""
    found: dict[str, list[str]] = {}
    for source in sorted(resource_types()):
        for code, param in sorted(parameters_for(source).items()):
            if param.type != ParamType.REFERENCE or not searchable(param):
                continue
            for target in param.targets:
                found.setdefault(target, []).append(f"{source}:{code}")
    return {target: tuple(values) for target, values in found.items()}
