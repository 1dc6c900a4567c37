"""$export (FHIR Bulk Data Access 2.0): the asynchronous kick-off at system (`[base]/$export`),
Patient (`[base]/Patient/$export`) and Group (`[base]/Group/[id]/$export`) level.

The kick-off needs `Prefer: respond-async` and answers 202 with `Content-Location`: the status URL
(fhirapi/bulk/views.py), where the manifest appears when the files are written. Parameters, in the
query (GET) or a Parameters body (POST): `_outputFormat` (NDJSON only), `_since`, `_type`,
`_typeFilter` (search queries, by the search engine). Exporting needs the `fhirbulk.add_exportjob`
permission and the right to search the exported types; the job runs as the requester's actor, so
the files hold what they could search (role, restricted charts, a token's scopes and patient)."""

import re
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from fhirapi.bulk import services
from fhirapi.bulk.conditional import search_engine_available
from fhirapi.bulk.exporter import OUTPUT_FORMATS, compartment_types
from fhirapi.errors import BadRequest, Forbidden, Issue, ResourceNotFound, operation_outcome
from fhirapi.operations.registry import Invocation, Operation, OperationResult, register
from fhirapi.rest.responses import prefer
from fhirapi.services import FhirRepository
from fhirapi.store.references import InvalidReference, ReferenceKind, parse_reference
from fhirapi.store.resource_types import is_resource_type

KNOWN_PARAMETERS = {"_outputFormat", "_since", "_type", "_typeFilter", "_format", "_pretty"}
QUERY_START = re.compile(r",(?=[A-Z][A-Za-z]+\?)")  # the commas between _typeFilter queries


def export_kickoff(invocation: Invocation) -> OperationResult:
    level = _level(invocation)
    _require_permission(invocation)
    params = _parameters(invocation)
    lenient = prefer_values(invocation.headers).get("handling") == "lenient"
    if "respond-async" not in prefer_values(invocation.headers):
        raise BadRequest("$export is asynchronous: send the header 'Prefer: respond-async'")
    unknown = sorted({name for name, _ in params} - KNOWN_PARAMETERS)
    if unknown and not lenient:
        raise BadRequest(f"$export does not support {', '.join(unknown)}")
    _require_output_format(params)
    types = _types(params, level)
    for resource_type in types or [None]:
        invocation.repository.policy.search_params(resource_type, [])  # may they search it?
    request = services.ExportRequest(
        level=level,
        request_url=invocation.url,
        base_url=invocation.base_url,
        types=types,
        since=_since(params),
        group_id=invocation.resource_id or "",
        members=_members(invocation) if level == "group" else (),
        type_filters=_type_filters(params, types),
    )
    job = services.export_job_start(
        owner=invocation.user, actor=invocation.repository.actor, request=request
    )
    status_url = services.export_status_url(invocation.base_url, job)
    issue = Issue("informational", f"export started: poll {status_url}", severity="information")
    return OperationResult(
        operation_outcome([issue]), status=202, headers={"Content-Location": status_url}
    )


def prefer_values(headers: Any) -> dict[str, str]:
    """The Prefer header's preferences (`respond-async` maps to "")."""
    return prefer(SimpleNamespace(headers=headers))  # type: ignore[arg-type]


def _level(invocation: Invocation) -> str:
    if invocation.resource_type is None:
        return "system"
    if invocation.resource_type == "Patient" and invocation.resource_id is None:
        return "patient"
    if invocation.resource_type == "Group" and invocation.resource_id is not None:
        return "group"
    where = "/".join(filter(None, [invocation.resource_type, invocation.resource_id]))
    raise ResourceNotFound(f"$export is not available on {where}")


def _require_permission(invocation: Invocation) -> None:
    user = invocation.user
    if user is None or not user.has_perm(services.EXPORT_PERMISSION):
        raise Forbidden("exporting data needs the permission to start exports")


def _parameters(invocation: Invocation) -> list[tuple[str, str]]:
    params = list(invocation.params)
    body = invocation.body
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        for parameter in body.get("parameter") or []:
            value = next((v for k, v in parameter.items() if k.startswith("value")), None)
            params.append((parameter.get("name", ""), "" if value is None else str(value)))
    elif body is not None:
        raise BadRequest("POST $export takes a Parameters resource")
    return params


def _values(params: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in params if key == name]


def _require_output_format(params: list[tuple[str, str]]) -> None:
    for value in _values(params, "_outputFormat"):
        if value not in OUTPUT_FORMATS:
            raise BadRequest(
                f"_outputFormat {value!r} is not supported: use application/fhir+ndjson"
            )


def _types(params: list[tuple[str, str]], level: str) -> tuple[str, ...]:
    types = [t.strip() for value in _values(params, "_type") for t in value.split(",") if t.strip()]
    unknown = [t for t in types if not is_resource_type(t)]
    if unknown:
        raise BadRequest(f"_type: {', '.join(unknown)} are not FHIR R4 resource types")
    if level != "system":
        outside = sorted(set(types) - set(compartment_types()))
        if outside:
            raise BadRequest(
                f"_type: {', '.join(outside)} are in no Patient compartment; a {level}-level "
                "export holds Patient compartment resources only"
            )
    return tuple(dict.fromkeys(types))


def _since(params: list[tuple[str, str]]) -> datetime | None:
    values = _values(params, "_since")
    if not values:
        return None
    try:
        since = datetime.fromisoformat(values[-1])
    except ValueError:
        raise BadRequest(f"_since {values[-1]!r} is not a FHIR instant") from None
    if since.tzinfo is None:
        raise BadRequest(f"_since {values[-1]!r} needs a time zone (an instant)")
    return since


def _type_filters(params: list[tuple[str, str]], types: tuple[str, ...]) -> dict[str, list[str]]:
    queries = [q for value in _values(params, "_typeFilter") for q in QUERY_START.split(value)]
    if not queries:
        return {}
    if not search_engine_available():
        raise BadRequest("_typeFilter is not supported yet (it needs the search engine)")
    filters: dict[str, list[str]] = {}
    for query in queries:
        resource_type, mark, search = query.partition("?")
        if not mark or not is_resource_type(resource_type) or not search:
            raise BadRequest(f"_typeFilter {query!r} is not of the form Type?search")
        if not types or resource_type in types:
            # A bad query is refused now; matched as the server, since nothing is shown (the
            # export itself keeps to the requester's rights).
            FhirRepository().match(resource_type, search, limit=1)
            filters.setdefault(resource_type, []).append(search)
    return filters


def _members(invocation: Invocation) -> tuple[str, ...]:
    group = invocation.repository.read("Group", invocation.resource_id).content
    members = []
    for member in group.get("member") or []:
        reference = (member.get("entity") or {}).get("reference")
        if member.get("inactive") or not isinstance(reference, str):
            continue
        try:
            parsed = parse_reference(reference, base_url=invocation.base_url)
        except InvalidReference:
            continue
        if parsed.kind is ReferenceKind.RELATIVE and parsed.resource_type == "Patient":
            members.append(parsed.resource_id)
    return tuple(dict.fromkeys(members))


register(
    Operation(
        name="export",
        definition_url="http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
        system=True,
        type_level=True,
        instance=True,
        resource_types=frozenset({"Patient", "Group"}),
        affects_state=False,
        handler=export_kickoff,
    )
)
