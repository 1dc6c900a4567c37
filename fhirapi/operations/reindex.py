"""`$reindex` (system level): POST starts a background job that rebuilds the search index of every
stored resource (or of the types named by `type` parameters, in the query or a Parameters body)
and answers 202 with `Content-Location`, the status URL; GET `$reindex?job=<id>` shows progress
as a Parameters resource. Needs an unconstrained user/ or system/ scope."""

from typing import Any

from fhirapi.errors import InvalidSearch, ResourceNotFound
from fhirapi.operations.registry import Invocation, Operation, OperationResult, register
from fhirapi.search.registry import resource_types
from fhirapi.search.reindex import ReindexStatus, reindex_create, reindex_status


def reindex(invocation: Invocation) -> OperationResult:
    invocation.repository.policy.require_whole_type(None)
    if invocation.method != "POST":
        return _status(invocation)
    types = _types(invocation)
    status = reindex_create(resource_types=types)
    from fhirapi.search.tasks import reindex as reindex_task

    reindex_task.delay(status["job"])
    url = f"{invocation.base_url}/$reindex?job={status['job']}"
    return OperationResult(_parameters(status), status=202, headers={"Content-Location": url})


def _status(invocation: Invocation) -> OperationResult:
    job = next((value for key, value in invocation.params if key == "job"), None)
    status = reindex_status(job) if job else None
    if status is None:
        raise ResourceNotFound("no such $reindex job")
    return OperationResult(_parameters(status))


def _types(invocation: Invocation) -> list[str]:
    names = [v for k, v in invocation.params if k == "type"]
    body = invocation.body if isinstance(invocation.body, dict) else {}
    names += [p.get("valueCode", "") for p in body.get("parameter", []) if p.get("name") == "type"]
    names = [n.strip() for value in names for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in resource_types()]
    if unknown:
        raise InvalidSearch(f"type: unknown resource type(s) {', '.join(unknown)}")
    return sorted(set(names))


def _parameters(status: ReindexStatus) -> dict[str, Any]:
    parts = [
        {"name": "job", "valueString": status["job"]},
        {"name": "status", "valueCode": status["status"]},
        {"name": "total", "valueInteger": status["total"]},
        {"name": "processed", "valueInteger": status["processed"]},
    ]
    parts += [{"name": "type", "valueCode": t} for t in status["resource_types"]]
    return {"resourceType": "Parameters", "parameter": parts}


register(
    Operation(
        name="reindex",
        definition_url="http://wintehr.example/fhir/OperationDefinition/reindex",
        system=True,
        type_level=False,
        instance=False,
        resource_types=None,
        affects_state=False,  # POST starts a job, GET reads its status
        handler=reindex,
    )
)
