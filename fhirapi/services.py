"""The in-process FHIR API. Every other app reads and writes clinical data through a
FhirRepository; the REST views are thin wrappers over the same methods, so both behave alike."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from fhirapi.errors import BadRequest, InvalidResource, Issue, ResourceNotFound
from fhirapi.store import reads, writes
from fhirapi.store.models import ResourceVersion
from fhirapi.store.patch import apply_fhirpath_patch, apply_json_patch
from fhirapi.store.references import iter_references, parse_reference
from fhirapi.store.resource_types import is_resource_type
from fhirapi.store.validation import validate_resource
from fhirapi.store.values import StoredResource, WriteOutcome

JSON_PATCH = "application/json-patch+json"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user of the EHR, an API client, or the system itself."""

    username: str = "system"
    client_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)


SYSTEM = Actor()


class FhirRepository:
    def __init__(self, *, actor: Actor = SYSTEM, lenient_references: bool | None = None) -> None:
        self.actor = actor
        self.lenient_references = (
            settings.FHIR_LENIENT_REFERENCES if lenient_references is None else lenient_references
        )

    # -- reads ---------------------------------------------------------------------------------

    def read(self, resource_type: str, resource_id: str) -> StoredResource:
        require_resource_type(resource_type)
        return reads.record_read(resource_type, resource_id)

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource:
        require_resource_type(resource_type)
        return reads.version_read(resource_type, resource_id, version_id)

    def history(self, query: reads.HistoryQuery) -> reads.HistoryPage:
        if query.resource_type:
            require_resource_type(query.resource_type)
        return reads.history_page(query)

    # -- writes --------------------------------------------------------------------------------

    @transaction.atomic
    def create(self, resource: dict[str, Any], *, resource_type: str | None = None) -> WriteOutcome:
        self._check(resource, resource_type)
        return writes.record_insert(resource, writes.new_resource_id())

    @transaction.atomic
    def update(
        self,
        resource_type: str,
        resource_id: str,
        resource: dict[str, Any],
        *,
        if_match: int | None = None,
    ) -> WriteOutcome:
        self._check(resource, resource_type)
        body_id = resource.get("id")
        if body_id is None:
            raise BadRequest("the resource has no id; an update must carry the id of its URL",
                             expression=[f"{resource_type}.id"])
        if body_id != resource_id:
            raise BadRequest(
                f"the resource's id {body_id!r} differs from the id in the URL {resource_id!r}",
                expression=[f"{resource_type}.id"],
            )
        require_valid_id(resource_id)
        return writes.record_write(resource, resource_id, if_match=if_match)

    @transaction.atomic
    def patch(
        self,
        resource_type: str,
        resource_id: str,
        patch: Any,
        *,
        content_type: str,
        if_match: int | None = None,
    ) -> WriteOutcome:
        require_resource_type(resource_type)
        record = writes.record_for_update(resource_type, resource_id)
        if record is None:
            raise ResourceNotFound(f"{resource_type}/{resource_id} is not known")
        if record.deleted:
            reads.record_read(resource_type, resource_id)  # raises ResourceGone
        if content_type == JSON_PATCH:
            patched = apply_json_patch(record.content, patch)
        else:
            patched = apply_fhirpath_patch(record.content, patch)
        self._check(patched, resource_type)
        return writes.record_write(
            patched, resource_id, if_match=if_match, method=ResourceVersion.Method.PATCH
        )

    @transaction.atomic
    def delete(
        self, resource_type: str, resource_id: str, *, if_match: int | None = None
    ) -> WriteOutcome:
        require_resource_type(resource_type)
        return writes.record_delete(resource_type, resource_id, if_match=if_match)

    # -- checks --------------------------------------------------------------------------------

    def _check(self, resource: Any, expected_type: str | None) -> None:
        if expected_type is not None:
            require_resource_type(expected_type)
        validate_resource(resource, expected_type=expected_type)
        if not self.lenient_references:
            require_references_exist(resource)


def require_resource_type(resource_type: str) -> None:
    if not is_resource_type(resource_type):
        raise ResourceNotFound(f"{resource_type!r} is not a FHIR R4 resource type")


def require_valid_id(resource_id: str) -> None:
    if not writes.ID_PATTERN.fullmatch(resource_id):
        raise BadRequest(
            f"{resource_id!r} is not a valid FHIR id (1-64 of A-Z a-z 0-9 - .)"
        )


def require_references_exist(resource: dict[str, Any]) -> None:
    """Refuse (422) a resource that refers to resources this server does not hold."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for site in iter_references(resource):
        parsed = parse_reference(site.reference, base_url=settings.FHIR_BASE_URL)
        if parsed.kind in ("relative", "versioned"):
            key = (parsed.resource_type, parsed.resource_id)
            wanted.setdefault(key, []).append(site.expression)
    missing = set(wanted) - reads.current_exists(set(wanted))
    if missing:
        issues = [
            Issue("not-found", f"{t}/{i} does not exist on this server", expression=tuple(wanted[(t, i)]))
            for t, i in sorted(missing)
        ]
        raise InvalidResource("references to resources that do not exist", issues=issues)
