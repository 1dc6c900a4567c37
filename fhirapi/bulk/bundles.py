"""The resources of an imported Bundle, each with a stable id, references rewritten.

Ids, so that importing the same Bundle again updates instead of duplicating:
- `PUT Type/id`: that id;
- an entry whose fullUrl is `urn:uuid:<uuid>`: the uuid itself. Synthea writes the same uuid as
  the resource's id in its Bundles and in its Bulk NDJSON output, so both forms of one patient
  land on the same resources (a hash of the urn would give a different id for each form);
- a fullUrl ending in `Type/id`, else the resource's own id;
- otherwise a fresh id (such entries are created again on every import).
`POST` with `ifNoneExist` and conditional `PUT` use what the condition matches, when it matches.
Transaction, batch, collection and searchset Bundles are unpacked (all entries in one
transaction: a batch is imported all-or-nothing too); other Bundles (document, message...) are
resources in their own right and are stored whole.
"""

from typing import Any
from urllib.parse import urlsplit

from fhirapi.bulk.conditional import ReferenceResolver
from fhirapi.errors import BadRequest
from fhirapi.store.references import ABSOLUTE_TAIL, URN_UUID
from fhirapi.store.writes import ID_PATTERN, new_resource_id

UNPACKED = ("transaction", "batch", "collection", "searchset")
WRITES = ("POST", "PUT")


def bundle_resources(bundle: dict[str, Any], resolver: ReferenceResolver) -> list[dict[str, Any]]:
    if bundle.get("type") not in UNPACKED:
        return [with_id(bundle, bundle.get("id"))]
    entries = [
        (entry, _entry_resource(entry, index))
        for index, entry in enumerate(bundle.get("entry") or [])
    ]
    resolver.lock_queries(
        (resource["resourceType"], query)
        for entry, resource in entries
        if (query := _condition(entry))
    )
    identities: dict[str, str] = {}
    planned: list[dict[str, Any]] = []
    for entry, resource in entries:
        resource_id, write = _entry_target(entry, resource, resolver)
        full_url = entry.get("fullUrl")
        if full_url:
            identities[full_url] = f"{resource['resourceType']}/{resource_id}"
        if write:  # not when ifNoneExist matched: the entry then stands for that match
            planned.append(with_id(resource, resource_id))
    return [resolver.rewrite(resource, identities) for resource in planned]


def with_id(resource: dict[str, Any], resource_id: str | None) -> dict[str, Any]:
    return {**resource, "id": resource_id or new_resource_id()}


def _entry_resource(entry: Any, index: int) -> dict[str, Any]:
    where = f"Bundle.entry[{index}]"
    if not isinstance(entry, dict):
        raise BadRequest(f"{where} is not an object")
    request = entry.get("request") or {}
    method = str(request.get("method", "POST")).upper()
    if method not in WRITES:
        raise BadRequest(
            f"{where}: {method} entries are not imported (only POST and PUT); "
            "send such a Bundle to the FHIR endpoint"
        )
    resource = entry.get("resource")
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise BadRequest(f"{where} has no resource")
    return resource


def _condition(entry: dict[str, Any]) -> str | None:
    """The query of a conditional PUT, or of a POST's ifNoneExist."""
    request = entry.get("request") or {}
    if str(request.get("method", "")).upper() == "PUT":
        return str(request.get("url", "")).partition("?")[2] or None
    return request.get("ifNoneExist") or None


def _entry_target(
    entry: dict[str, Any], resource: dict[str, Any], resolver: ReferenceResolver
) -> tuple[str, bool]:
    """The id the entry's resource has, and whether to write it (False: ifNoneExist matched)."""
    request = entry.get("request") or {}
    put = str(request.get("method", "")).upper() == "PUT"
    query = _condition(entry)
    if query:
        matches = resolver.matching_ids(resource["resourceType"], query)  # locked up front
        if len(matches) == 1:
            return matches[0], put
    elif put:
        url = str(request.get("url", ""))
        resource_id = urlsplit(url).path.strip("/").rpartition("/")[2]
        if not ID_PATTERN.fullmatch(resource_id):
            raise BadRequest(f"PUT {url}: no valid resource id in the URL")
        return resource_id, True
    return _derived_id(entry.get("fullUrl") or "", resource), True


def _derived_id(full_url: str, resource: dict[str, Any]) -> str:
    if URN_UUID.fullmatch(full_url):
        return full_url.removeprefix("urn:uuid:").lower()
    tail = ABSOLUTE_TAIL.search(full_url)
    if tail and tail["type"] == resource["resourceType"]:
        return tail["id"]
    own = resource.get("id")
    return own if isinstance(own, str) and ID_PATTERN.fullmatch(own) else new_resource_id()
