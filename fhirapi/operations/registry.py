"""Named operations (`$validate`, `$meta`, ...): each module declares one Operation and registers
it here; the REST layer routes `[base]/$op`, `[type]/$op` and `[type]/[id]/$op` through this table,
and the CapabilityStatement lists what is registered."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fhirapi.errors import MethodNotAllowed, ResourceNotFound
from fhirapi.services import FhirRepository


@dataclass(frozen=True)
class Invocation:
    repository: FhirRepository
    resource_type: str | None
    resource_id: str | None
    method: str
    body: Any  # the parsed JSON body of a POST, or None
    params: list[tuple[str, str]]  # query parameters
    base_url: str
    user: Any = None  # the authenticated Django user ($export's jobs belong to them)
    headers: Mapping[str, str] = field(default_factory=dict)  # the request's (Prefer, ...)
    url: str = ""  # the full request URL


@dataclass(frozen=True)
class OperationResult:
    body: dict[str, Any] | None  # None: no body (an async kick-off's 202)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    name: str
    definition_url: str
    system: bool
    type_level: bool
    instance: bool
    resource_types: frozenset[str] | None  # None: every type
    affects_state: bool
    handler: Callable[[Invocation], OperationResult]


OPERATIONS: dict[str, Operation] = {}


def register(operation: Operation) -> Operation:
    OPERATIONS[operation.name] = operation
    return operation


def invoke(name: str, invocation: Invocation) -> OperationResult:
    operation = OPERATIONS.get(name)
    if operation is None:
        raise ResourceNotFound(f"${name} is not an operation this server supports")
    level_allowed = (
        operation.instance
        if invocation.resource_id
        else operation.type_level
        if invocation.resource_type
        else operation.system
    )
    type_allowed = (
        invocation.resource_type is None
        or operation.resource_types is None
        or invocation.resource_type in operation.resource_types
    )
    if not (level_allowed and type_allowed):
        where = (
            "/".join(filter(None, [invocation.resource_type, invocation.resource_id])) or "the base"
        )
        raise ResourceNotFound(f"${name} is not available on {where}")
    if operation.affects_state and invocation.method != "POST":
        raise MethodNotAllowed(f"${name} changes data and must be invoked with POST")
    return operation.handler(invocation)


def parameters_value(body: Any, name: str) -> Any:
    """The value of the named parameter of a Parameters resource (value[x] or resource)."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        return None
    for parameter in body.get("parameter") or []:
        if parameter.get("name") == name:
            if "resource" in parameter:
                return parameter["resource"]
            for key, value in parameter.items():
                if key.startswith("value"):
                    return value
    return None
