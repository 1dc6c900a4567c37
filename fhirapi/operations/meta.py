"""$meta, $meta-add and $meta-delete: read and change a resource's tags, profiles and security
labels. As R4 says, changing meta this way does not create a new version."""

from typing import Any

from fhirapi.errors import BadRequest
from fhirapi.operations.registry import (
    Invocation,
    Operation,
    OperationResult,
    parameters_value,
    register,
)

META_LISTS = ("tag", "security", "profile")


def meta_read(invocation: Invocation) -> OperationResult:
    repository = invocation.repository
    if invocation.resource_id:
        meta = repository.read(invocation.resource_type, invocation.resource_id).content.get(
            "meta", {}
        )
    else:
        meta = repository.meta_summary(invocation.resource_type)
    return OperationResult(_meta_parameters(meta))


def meta_add(invocation: Invocation) -> OperationResult:
    change = _requested_meta(invocation)
    meta = invocation.repository.meta_change(
        invocation.resource_type, invocation.resource_id, lambda current: _merged(current, change)
    )
    return OperationResult(_meta_parameters(meta))


def meta_delete(invocation: Invocation) -> OperationResult:
    change = _requested_meta(invocation)
    meta = invocation.repository.meta_change(
        invocation.resource_type, invocation.resource_id, lambda current: _without(current, change)
    )
    return OperationResult(_meta_parameters(meta))


def _requested_meta(invocation: Invocation) -> dict[str, Any]:
    meta = parameters_value(invocation.body, "meta")
    if not isinstance(meta, dict):
        raise BadRequest(
            "the body must be a Parameters resource with a 'meta' parameter (valueMeta)"
        )
    return meta


def _key(item: Any) -> Any:
    return (item.get("system"), item.get("code")) if isinstance(item, dict) else item


def _merged(current: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for name in META_LISTS:
        items = list(current.get(name, []))
        known = {_key(item) for item in items}
        items += [item for item in change.get(name, []) if _key(item) not in known]
        if items:
            merged[name] = items
    return merged


def _without(current: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    reduced = dict(current)
    for name in META_LISTS:
        removed = {_key(item) for item in change.get(name, [])}
        items = [item for item in current.get(name, []) if _key(item) not in removed]
        if items:
            reduced[name] = items
        else:
            reduced.pop(name, None)
    return reduced


def _meta_parameters(meta: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in meta.items() if k in META_LISTS}
    return {"resourceType": "Parameters", "parameter": [{"name": "return", "valueMeta": shown}]}


def _operation(name: str, handler, *, writes: bool, system_and_type: bool) -> Operation:
    return register(
        Operation(
            name=name,
            definition_url=f"http://hl7.org/fhir/OperationDefinition/Resource-{name}",
            system=system_and_type,
            type_level=system_and_type,
            instance=True,
            resource_types=None,
            affects_state=writes,
            handler=handler,
        )
    )


_operation("meta", meta_read, writes=False, system_and_type=True)
_operation("meta-add", meta_add, writes=True, system_and_type=False)
_operation("meta-delete", meta_delete, writes=True, system_and_type=False)
