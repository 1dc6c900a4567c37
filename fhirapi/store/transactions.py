"""Batch and transaction Bundles, processed as the FHIR spec says: DELETE, then POST, then PUT and
PATCH, then GET; `urn:uuid:` full URLs and conditional references resolved and rewritten wherever
they appear; a transaction is all-or-nothing, a batch entry fails alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from django.db import transaction
from django.db.models import Q

from fhirapi.errors import BadRequest, FhirError, Issue, operation_outcome
from fhirapi.search.engine import lock_query
from fhirapi.store.models import ResourceRecord
from fhirapi.store.references import rewrite_references
from fhirapi.store.resource_types import is_resource_type
from fhirapi.store.values import StoredResource, WriteOutcome, parse_etag
from fhirapi.store.writes import format_instant, new_resource_id

if TYPE_CHECKING:
    from fhirapi.services import DeferredChecks, FhirRepository

PROCESSING_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}


@dataclass
class Entry:
    index: int
    method: str
    url: str
    full_url: str | None
    resource: dict[str, Any] | None
    request: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)
    assigned_id: str | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path.strip("/")

    @property
    def query(self) -> str:
        return urlsplit(self.url).query


def parse_entries(bundle: dict[str, Any]) -> list[Entry]:
    entries = []
    for index, raw in enumerate(bundle.get("entry") or []):
        where = f"Bundle.entry[{index}]"
        request = raw.get("request") if isinstance(raw, dict) else None
        if not isinstance(request, dict) or not request.get("method") or not request.get("url"):
            raise BadRequest(
                f"{where} has no request with method and url", expression=[f"{where}.request"]
            )
        method = str(request["method"]).upper()
        if method not in PROCESSING_ORDER:
            raise BadRequest(
                f"{where}.request.method {method!r} is not supported",
                expression=[f"{where}.request.method"],
            )
        resource = raw.get("resource")
        if method in ("POST", "PUT") and not isinstance(resource, dict):
            raise BadRequest(
                f"{where} ({method}) has no resource", expression=[f"{where}.resource"]
            )
        if method in ("POST", "PUT") and not _is_resource(resource):
            raise BadRequest(
                f"{where}.resource has no known resourceType",
                expression=[f"{where}.resource.resourceType"],
            )
        entries.append(
            Entry(index, method, str(request["url"]), raw.get("fullUrl"), resource, request)
        )
    return entries


class BundleProcessor:
    def __init__(self, repository: FhirRepository, base_url: str) -> None:
        self.repository = repository
        self.base_url = base_url.rstrip("/")
        self.identities: dict[str, str] = {}  # fullUrl (urn:uuid:… or absolute) → Type/id

    # -- transaction ---------------------------------------------------------------------------

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        entries = parse_entries(bundle)
        self._require_unique_targets(entries)
        try:
            with transaction.atomic(), self.repository.deferred_reference_checks() as deferred:
                _lock_targets(entries)
                self._assign_identities(entries)
                for entry in sorted(entries, key=lambda e: (PROCESSING_ORDER[e.method], e.index)):
                    deferred.label = entry.index
                    if self._is_plain_create(entry):
                        self._create_together(entries, deferred)
                    elif not entry.response:
                        entry.response = self._process(entry)
        except FhirError as exc:
            index = getattr(exc, "label", None)
            if index is None:
                index = deferred.label
            exc.issues = [_at_entry(issue, index) for issue in exc.issues]
            raise
        return self._response_bundle("transaction-response", entries)

    @staticmethod
    def _is_plain_create(entry: Entry) -> bool:
        return (
            entry.method == "POST" and not entry.request.get("ifNoneExist") and not entry.response
        )

    def _create_together(self, entries: list[Entry], deferred: DeferredChecks) -> None:
        """Create every unconditional POST of the transaction in one bulk write."""
        creates = [entry for entry in entries if self._is_plain_create(entry)]
        prepared = []
        for entry in creates:
            deferred.label = entry.index
            prepared.append((self._rewritten(entry.resource), entry.assigned_id))
        outcomes = self.repository.create_many(prepared, labels=[entry.index for entry in creates])
        for entry, outcome in zip(creates, outcomes, strict=True):
            entry.response = _write_response(outcome)

    # -- batch ---------------------------------------------------------------------------------

    def batch(self, bundle: dict[str, Any]) -> dict[str, Any]:
        entries = parse_entries(bundle)
        self._assign_identities(entries)
        for entry in sorted(entries, key=lambda e: (PROCESSING_ORDER[e.method], e.index)):
            try:
                with transaction.atomic():
                    entry.response = self._process(entry)
            except FhirError as exc:
                entry.response = {
                    "status": _status_line(exc.status),
                    "outcome": operation_outcome([_at_entry(i, entry.index) for i in exc.issues]),
                }
        return self._response_bundle("batch-response", entries)

    # -- the steps -----------------------------------------------------------------------------

    def _assign_identities(self, entries: list[Entry]) -> None:
        """Give each POST its id up front, so that any entry may refer to any other."""
        for entry in entries:
            if entry.method == "POST":
                entry.assigned_id = new_resource_id()
                if entry.full_url:
                    self.identities[entry.full_url] = (
                        f"{entry.resource['resourceType']}/{entry.assigned_id}"
                    )
            elif entry.method == "PUT" and entry.full_url and "?" not in entry.url:
                self.identities[entry.full_url] = entry.path

    def _process(self, entry: Entry) -> dict[str, Any]:
        repo = self.repository
        if entry.method == "GET" or entry.method == "HEAD":
            return self._read(entry)
        if entry.method == "DELETE":
            return self._delete(entry)
        resource = self._rewritten(entry.resource) if entry.resource is not None else None
        if entry.method == "POST":
            if_none_exist = entry.request.get("ifNoneExist")
            if if_none_exist:
                lock_query(
                    resource["resourceType"], parse_qsl(if_none_exist, keep_blank_values=True)
                )
                matches = repo.match(resource.get("resourceType"), if_none_exist)
                if len(matches) == 1:
                    self._remember(entry, matches[0])
                    return _response(matches[0], "200 OK")
                repo.require_at_most_one(matches, if_none_exist)
            outcome = repo.create(resource, resource_id=entry.assigned_id)
            return _write_response(outcome)
        resource_type, _, resource_id = entry.path.partition("/")
        if entry.method == "PATCH":
            content_type = (
                "application/json-patch+json"
                if isinstance(entry.resource, list)
                else "application/fhir+json"
            )
            patch_body = (
                entry.resource if entry.resource is not None else entry.request.get("resource")
            )
            outcome = repo.patch(
                resource_type,
                resource_id,
                patch_body,
                content_type=content_type,
                if_match=parse_etag(entry.request.get("ifMatch")),
            )
            return _write_response(outcome)
        if "?" in entry.url:
            outcome = repo.conditional_update(resource_type, entry.query, resource)
            self._remember(entry, outcome.stored)
        else:
            outcome = repo.update(
                resource_type,
                resource_id,
                resource,
                if_match=parse_etag(entry.request.get("ifMatch")),
            )
        return _write_response(outcome)

    def _read(self, entry: Entry) -> dict[str, Any]:
        parts = entry.path.split("/")
        if len(parts) == 2 and not entry.query:
            stored = self.repository.read(parts[0], parts[1])
            return {**_response(stored, "200 OK"), "resource": stored.content}
        if len(parts) == 4 and parts[2] == "_history" and parts[3].isascii() and parts[3].isdigit():
            stored = self.repository.vread(parts[0], parts[1], int(parts[3]))
            return {**_response(stored, "200 OK"), "resource": stored.content}
        if len(parts) == 1:
            return {
                "status": "200 OK",
                "resource": self.repository.search_bundle(
                    parts[0], parse_qsl(entry.query), base_url=self.base_url
                ),
            }
        raise BadRequest(f"GET {entry.url} is not supported inside a Bundle")

    def _delete(self, entry: Entry) -> dict[str, Any]:
        resource_type, _, resource_id = entry.path.partition("/")
        if "?" in entry.url or not resource_id:
            deleted = self.repository.conditional_delete(resource_type, entry.query)
            return {"status": "204 No Content" if deleted else "200 OK"}
        outcome = self.repository.delete(
            resource_type, resource_id, if_match=parse_etag(entry.request.get("ifMatch"))
        )
        return {"status": "204 No Content", "etag": outcome.stored.etag}

    def _rewritten(self, resource: dict[str, Any]) -> dict[str, Any]:
        def target(reference: str) -> str | None:
            if reference in self.identities:
                return self.identities[reference]
            if "?" in reference and not reference.startswith(("http:", "https:", "urn:")):
                resource_type, _, query = reference.partition("?")
                matches = self.repository.match(resource_type, query)
                self.repository.require_exactly_one(matches, reference)
                return matches[0].relative_url
            return None

        return rewrite_references(resource, target)

    def _remember(self, entry: Entry, stored: StoredResource) -> None:
        if entry.full_url:
            self.identities[entry.full_url] = stored.relative_url

    def _require_unique_targets(self, entries: list[Entry]) -> None:
        seen: dict[str, int] = {}
        for entry in entries:
            if entry.method in ("PUT", "DELETE", "PATCH") and "?" not in entry.url:
                if entry.path in seen:
                    raise BadRequest(
                        f"Bundle.entry[{seen[entry.path]}] and Bundle.entry[{entry.index}] "
                        f"both change {entry.path}",
                        expression=[f"Bundle.entry[{entry.index}].request.url"],
                    )
                seen[entry.path] = entry.index

    def _response_bundle(self, bundle_type: str, entries: list[Entry]) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": bundle_type,
            "entry": [self._response_entry(entry) for entry in entries],
        }

    def _response_entry(self, entry: Entry) -> dict[str, Any]:
        response = dict(entry.response)
        resource = response.pop("resource", None)
        result: dict[str, Any] = {}
        if "location" in response:
            result["fullUrl"] = f"{self.base_url}/{response['location'].split('/_history')[0]}"
        if resource is not None:
            result["resource"] = resource
        result["response"] = response
        return result


def _lock_targets(entries: list[Entry]) -> None:
    """Lock the rows the entries change by id, in one order for every transaction: two bundles
    changing the same resources in different orders then wait for each other, not deadlock."""
    targets = Q()
    for entry in entries:
        if entry.method in ("PUT", "PATCH", "DELETE") and "?" not in entry.url:
            resource_type, _, resource_id = entry.path.partition("/")
            targets |= Q(resource_type=resource_type, resource_id=resource_id)
    if targets:
        rows = ResourceRecord.objects.select_for_update().filter(targets)
        list(rows.order_by("resource_type", "resource_id").values_list("pk", flat=True))


def _is_resource(resource: dict[str, Any]) -> bool:
    resource_type = resource.get("resourceType")
    return isinstance(resource_type, str) and is_resource_type(resource_type)


def _write_response(outcome: WriteOutcome) -> dict[str, Any]:
    status = "201 Created" if outcome.created else "200 OK"
    return _response(outcome.stored, status)


def _response(stored: StoredResource, status: str) -> dict[str, Any]:
    return {
        "status": status,
        "location": stored.versioned_url,
        "etag": stored.etag,
        "lastModified": format_instant(stored.last_updated),
    }


def _status_line(status: int) -> str:
    from http import HTTPStatus

    return f"{status} {HTTPStatus(status).phrase}"


def _at_entry(issue: Issue, index: int) -> Issue:
    where = f"Bundle.entry[{index}]"
    expression = tuple(
        e
        if e.startswith("Bundle.entry[")
        else f"{where}.resource.{e.split('.', 1)[-1]}"
        if "." in e
        else f"{where}.resource"
        for e in issue.expression
    ) or (where,)
    return Issue(issue.code, f"{where}: {issue.diagnostics}", issue.severity, expression)
