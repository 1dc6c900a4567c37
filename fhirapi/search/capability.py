"""What the CapabilityStatement says about searching one resource type, from the registry."""

from typing import Any

from fhirapi.search.registry import parameters_for


def search_capability(resource_type: str) -> dict[str, Any]:
    parameters = parameters_for(resource_type)
    return {
        "searchParam": [
            {
                "name": code,
                "definition": parameter.url,
                "type": str(parameter.type),
                **({"documentation": parameter.description} if parameter.description else {}),
            }
            for code, parameter in sorted(parameters.items())
        ],
    }
