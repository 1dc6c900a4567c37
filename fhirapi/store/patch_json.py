"""RFC 6902 JSON Patch, applied one operation at a time so that an error can name its operation."""

import copy
from typing import Any

import jsonpatch
import jsonpointer

from fhirapi.errors import BadRequest, InvalidResource

MEMBER_NEEDED = {
    "add": "value",
    "replace": "value",
    "test": "value",
    "move": "from",
    "copy": "from",
}


def json_patched(resource: dict[str, Any], operations: list[Any]) -> Any:
    """A patched copy of the resource; the whole patch is checked before any operation runs."""
    if not isinstance(operations, list):
        raise BadRequest("a JSON Patch document must be a JSON array of operations")
    patches = [_checked_operation(index, operation) for index, operation in enumerate(operations)]
    document: Any = copy.deepcopy(resource)
    for index, patch in enumerate(patches):
        document = _applied(index, patch, document)
    return document


def _checked_operation(index: int, operation: Any) -> jsonpatch.JsonPatch:
    if not isinstance(operation, dict):
        raise _malformed(index, "an operation must be a JSON object")
    kind = operation.get("op")
    needed = MEMBER_NEEDED.get(kind) if isinstance(kind, str) else None
    if needed and needed not in operation:
        raise _malformed(index, f"a {kind} operation needs a '{needed}' member")
    try:
        if "from" in operation:
            jsonpointer.JsonPointer(operation["from"])
        return jsonpatch.JsonPatch([operation])
    except (jsonpatch.InvalidJsonPatch, jsonpointer.JsonPointerException, TypeError) as error:
        raise _malformed(index, str(error)) from error


def _applied(index: int, patch: jsonpatch.JsonPatch, document: Any) -> Any:
    try:
        return patch.apply(document, in_place=True)
    except (
        jsonpatch.JsonPatchConflict,
        jsonpatch.JsonPatchTestFailed,
        jsonpointer.JsonPointerException,
    ) as error:
        operation = patch.patch[0]
        raise InvalidResource(
            f"JSON Patch operation {index} ({operation['op']} {operation['path']}) "
            f"cannot be applied: {error}",
            expression=(f"/{index}",),
        ) from error


def _malformed(index: int, problem: str) -> BadRequest:
    return BadRequest(
        f"JSON Patch operation {index} is malformed: {problem}", expression=(f"/{index}",)
    )
