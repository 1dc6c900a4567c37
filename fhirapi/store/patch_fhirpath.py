"""FHIRPath Patch (http://hl7.org/fhir/R4/fhirpatch.html): a Parameters resource whose `operation`
parameters add, insert, delete, replace or move elements found by FHIRPath paths.

The patch is read whole, and each operation checked to have the parts its type needs, before
anything changes; then each operation runs on the result of the one before. Where an element
lives is found by `patch_paths`.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fhirapi.errors import BadRequest, InvalidResource
from fhirapi.store.patch_paths import (
    Element,
    ElementFinder,
    UnappliablePath,
    UnreadablePath,
    child_type,
    element_key,
    is_repeating,
)

REQUIRED_PARTS = {
    "add": ("name", "value"),
    "insert": ("index", "value"),
    "delete": (),
    "replace": ("value",),
    "move": ("source", "destination"),
}
PART_TYPES = {"name": str, "index": int, "source": int, "destination": int}


@dataclass(frozen=True)
class Operation:
    """One `operation` parameter: its position in the patch, its type and path, and its parts."""

    number: int
    type: str
    path: str
    parts: dict[str, dict[str, Any]]

    @property
    def expression(self) -> tuple[str]:
        return (f"Parameters.parameter[{self.number}]",)

    def invalid(self, message: str) -> InvalidResource:
        return InvalidResource(message, expression=self.expression)

    def malformed(self, message: str) -> BadRequest:
        return BadRequest(message, expression=self.expression)

    def primitive(self, name: str, kind: type) -> Any:
        """The value of a required primitive part, checked to be of `kind` (str or int)."""
        if name not in self.parts:
            raise self.malformed(f"a FHIRPath Patch {self.type} operation needs a '{name}' part")
        values = list(_typed_values(self.parts[name]).values())
        if len(values) != 1 or type(values[0]) is not kind:
            raise self.malformed(f"the '{name}' part must have one {kind.__name__} value")
        return values[0]

    def value_part(self) -> dict[str, Any]:
        if "value" not in self.parts:
            raise self.malformed(f"a FHIRPath Patch {self.type} operation needs a 'value' part")
        return self.parts["value"]


def fhirpath_patched(resource: dict[str, Any], parameters: Any) -> dict[str, Any]:
    """A patched copy of the resource."""
    operations = [_operation(number, p) for number, p in enumerate(_parameters(parameters))]
    patched = copy.deepcopy(resource)
    for operation in operations:
        _applied(operation, patched)
        _prune(patched)
    return patched


def _applied(operation: Operation, resource: dict[str, Any]) -> None:
    try:
        _APPLY[operation.type](resource, operation)
    except UnreadablePath as problem:
        raise operation.malformed(str(problem)) from problem
    except UnappliablePath as problem:
        raise operation.invalid(str(problem)) from problem


def _parameters(parameters: Any) -> list[Any]:
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise BadRequest("a FHIRPath Patch must be a Parameters resource")
    listed = copy.deepcopy(parameters.get("parameter", []))
    if not isinstance(listed, list):
        raise BadRequest(
            "Parameters.parameter must be a list", expression=("Parameters.parameter",)
        )
    return listed


def _operation(number: int, parameter: Any) -> Operation:
    operation = Operation(number, "operation", "", _parts(number, parameter))
    operation = replace(operation, type=operation.primitive("type", str))
    if operation.type not in REQUIRED_PARTS:
        raise operation.malformed(
            f"unknown operation type {operation.type!r}; use one of {', '.join(REQUIRED_PARTS)}"
        )
    for name in REQUIRED_PARTS[operation.type]:
        if name == "value":
            operation.value_part()
        else:
            operation.primitive(name, PART_TYPES[name])
    return replace(operation, path=operation.primitive("path", str))


def _parts(number: int, parameter: Any) -> dict[str, dict[str, Any]]:
    where = (f"Parameters.parameter[{number}]",)
    if not isinstance(parameter, dict) or parameter.get("name") != "operation":
        raise BadRequest("a FHIRPath Patch has only parameters named 'operation'", expression=where)
    parts: dict[str, dict[str, Any]] = {}
    for part in parameter.get("part", []):
        name = part.get("name") if isinstance(part, dict) else None
        if not isinstance(name, str) or name in parts:
            raise BadRequest(f"operation parts need distinct names, not {name!r}", expression=where)
        parts[name] = part
    return parts


def _typed_values(part: dict[str, Any]) -> dict[str, Any]:
    """A part's value[x] entries (`valueString`, ...): the value's type and the value."""
    return {key[len("value") :]: value for key, value in part.items() if key.startswith("value")}


def _add(resource: dict[str, Any], operation: Operation) -> None:
    target = _one(ElementFinder(resource).elements(operation.path), operation, "adding")
    part = operation.value_part()
    key = element_key(target.path, operation.primitive("name", str), _value_type(part))
    value, extras = _new_value(part, child_type(target.path, key), operation)
    _put(target.content(create=True), target.path, key, (value, extras), operation)


def _insert(resource: dict[str, Any], operation: Operation) -> None:
    owner, key = _list_owner(resource, operation, "inserting")
    items = _list(owner, key, operation, create=True)
    position = operation.primitive("index", int)
    if not 0 <= position <= len(items):
        raise operation.invalid(f"index {position} is outside 0..{len(items)} for {operation.path}")
    value, extras = _new_value(operation.value_part(), child_type(owner.path, key), operation)
    _list_insert(owner.content(), key, position, (value, extras))


def _delete(resource: dict[str, Any], operation: Operation) -> None:
    found = ElementFinder(resource).elements(operation.path)
    if found:
        _whole_resource_refused(_one(found, operation, "deleting"), operation).detach()


def _replace(resource: dict[str, Any], operation: Operation) -> None:
    found = ElementFinder(resource).elements(operation.path)
    element = _whole_resource_refused(_one(found, operation, "replacing"), operation)
    part = operation.value_part()
    key = element_key(element.owner_type, element.name, _value_type(part))
    element.replace(key, _new_value(part, element.path, operation))


def _move(resource: dict[str, Any], operation: Operation) -> None:
    owner, key = _list_owner(resource, operation, "moving")
    items = _list(owner, key, operation, create=False)
    source, destination = (operation.primitive(n, int) for n in ("source", "destination"))
    for name, position in (("source", source), ("destination", destination)):
        if not 0 <= position < len(items):
            raise operation.invalid(f"{name} {position} is outside 0..{len(items) - 1}")
    _list_insert(owner.content(), key, destination, _list_pop(owner.content(), key, source))


_APPLY: dict[str, Callable[[dict[str, Any], Operation], None]] = {
    "add": _add,
    "insert": _insert,
    "delete": _delete,
    "replace": _replace,
    "move": _move,
}


def _one(found: list[Element], operation: Operation, doing: str) -> Element:
    if not found:
        raise operation.invalid(f"No content found at {operation.path} when {doing}")
    if len(found) > 1:
        raise operation.invalid(
            f"{operation.path} matches {len(found)} elements; {doing} needs exactly one"
        )
    return found[0]


def _whole_resource_refused(element: Element, operation: Operation) -> Element:
    if element.holder is None:
        raise operation.invalid(f"a {operation.type} operation cannot target the whole resource")
    return element


def _list_owner(resource: dict[str, Any], operation: Operation, doing: str) -> tuple[Element, str]:
    """The one element holding the list that an insert or move path names, and the list's key."""
    owners, key = ElementFinder(resource).list_owners(operation.path)
    return _one(owners, operation, doing), key


def _list(owner: Element, key: str, operation: Operation, *, create: bool) -> list[Any]:
    content = owner.content(create=create)
    items = content.get(key) if content is not None else None
    if items is None and create and is_repeating(owner.path, key):
        items = content[key] = []
    if not isinstance(items, list):
        raise operation.invalid(f"{operation.path} is not a list")
    return items


def _value_type(part: dict[str, Any]) -> str | None:
    """The type a value part names (`Date` for valueDate); None for a resource or parts."""
    values = _typed_values(part)
    return next(iter(values)) if len(values) == 1 else None


def _new_value(part: dict[str, Any], type_path: str, operation: Operation) -> tuple[Any, Any]:
    """The JSON for a value part, and for a primitive its `_x` companion (id and extensions)."""
    if "part" in part:
        return _anonymous(part["part"], type_path, operation), None
    if "resource" in part:
        return part["resource"], None
    values = _typed_values(part)
    if len(values) != 1:
        raise operation.malformed("a value part needs one value[x], a resource, or parts")
    kind, value = next(iter(values.items()))
    return value, part.get(f"_value{kind}")


def _anonymous(parts: Any, type_path: str, operation: Operation) -> dict[str, Any]:
    """An element with no type name of its own (a backbone element), given as named parts."""
    content: dict[str, Any] = {}
    for part in parts if isinstance(parts, list) else []:
        name = part.get("name") if isinstance(part, dict) else None
        if not isinstance(name, str):
            raise operation.malformed("each part of an anonymous value needs a name")
        key = element_key(type_path, name, _value_type(part))
        value = _new_value(part, child_type(type_path, key), operation)
        _put(content, type_path, key, value, operation)
    return content


def _put(
    content: dict[str, Any], type_path: str, key: str, value: tuple[Any, Any], operation: Operation
) -> None:
    """Add an element under `key`: appended if it repeats, set if it is absent."""
    present = key in content or f"_{key}" in content
    if isinstance(content.get(key), list) or (not present and is_repeating(type_path, key)):
        _list_insert(content, key, len(content.setdefault(key, [])), value)
    elif present:
        raise operation.invalid(f"{type_path}.{key} is already present and does not repeat")
    else:
        content[key] = value[0]
        if value[1] is not None:
            content[f"_{key}"] = value[1]


def _list_insert(content: dict[str, Any], key: str, position: int, value: tuple[Any, Any]) -> None:
    """Insert into content[key], keeping the `_key` list of primitive extensions in step."""
    items = content[key]
    items.insert(position, value[0])
    extras = value[1]
    if extras is None and not isinstance(content.get(f"_{key}"), list):
        return
    companions = content.setdefault(f"_{key}", [])
    companions.extend([None] * (len(items) - 1 - len(companions)))
    companions.insert(position, extras)


def _list_pop(content: dict[str, Any], key: str, position: int) -> tuple[Any, Any]:
    value = content[key].pop(position)
    companions = content.get(f"_{key}")
    in_step = isinstance(companions, list) and position < len(companions)
    return value, companions.pop(position) if in_step else None


def _prune(content: dict[str, Any]) -> None:
    """Drop what the operations emptied: empty objects and lists, `_x` lists of nulls only."""
    for key in list(content):
        value = content[key]
        if isinstance(value, dict):
            _prune(value)
        elif isinstance(value, list):
            _prune_list(value, companions=key.startswith("_"))
        if value in ({}, []) or (key.startswith("_") and _only_nulls(value)):
            del content[key]


def _prune_list(items: list[Any], *, companions: bool) -> None:
    for item in items:
        if isinstance(item, dict):
            _prune(item)
    if companions:
        items[:] = [None if item == {} else item for item in items]
    else:
        items[:] = [item for item in items if item != {}]


def _only_nulls(value: Any) -> bool:
    return isinstance(value, list) and all(item is None for item in value)
