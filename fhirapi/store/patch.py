"""The PATCH interaction's two patch formats, applied to a resource in memory.

Both functions leave their input untouched and return the patched copy. Errors follow HAPI:
a patch document that cannot be read is a `BadRequest` (400); a readable patch that cannot be
applied to this resource (a failing JSON Patch `test`, a path that matches nothing or too much)
is an `InvalidResource` (422). A patch that would change the resource's `resourceType` or `id` is
a `BadRequest`, as an update whose body names another resource is.
"""

from typing import Any

from fhirapi.errors import BadRequest
from fhirapi.store.patch_fhirpath import fhirpath_patched
from fhirapi.store.patch_json import json_patched


def apply_json_patch(resource: dict[str, Any], operations: list[Any]) -> dict[str, Any]:
    """The resource after an RFC 6902 JSON Patch. Issue expressions point at the failing
    operation with a JSON Pointer into the patch document (`/2` is the third operation)."""
    return _same_identity(resource, json_patched(resource, operations))


def apply_fhirpath_patch(resource: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """The resource after a FHIRPath Patch (a `Parameters` resource, http://hl7.org/fhir/R4/fhirpatch.html).
    Issue expressions name the failing operation, e.g. `Parameters.parameter[1]`."""
    return _same_identity(resource, fhirpath_patched(resource, parameters))


def _same_identity(original: dict[str, Any], patched: Any) -> dict[str, Any]:
    if not isinstance(patched, dict):
        raise BadRequest("the patch must leave a resource (a JSON object)")
    for element in ("resourceType", "id"):
        if patched.get(element) != original.get(element):
            raise BadRequest(
                f"a patch may not change the resource's {element} "
                f"({original.get(element)!r} would become {patched.get(element)!r})",
                expression=(element,),
            )
    return patched
