"""The in-process FHIR API. Every other app reads and writes clinical data through a
FhirRepository; the REST views are thin wrappers over the same methods, so both behave alike."""

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils.module_loading import import_string

from fhirapi.errors import (
    BadRequest,
    FhirError,
    InvalidResource,
    Issue,
    MethodNotAllowed,
    PreconditionFailed,
    ResourceNotFound,
)
from fhirapi.search.subset import subset_bundle
from fhirapi.smart.policy import FULL_ACCESS, AccessPolicy, CombinedPolicy
from fhirapi.store import reads, writes
from fhirapi.store.events import authored_by
from fhirapi.store.models import ResourceVersion
from fhirapi.store.patch import apply_fhirpath_patch, apply_json_patch
from fhirapi.store.references import (
    InvalidReference,
    ReferenceKind,
    check_contained_references,
    iter_references,
    parse_reference,
)
from fhirapi.store.resource_types import is_resource_type
from fhirapi.store.validation import validate_resource
from fhirapi.store.values import StoredResource, WriteOutcome
from wintehr.db_routing import replica_reads
from wintehr.metrics import search_timer

JSON_PATCH = "application/json-patch+json"
TRANSIENT_RETRIES = 3
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure
SERVER_WRITTEN_TYPES = frozenset({"AuditEvent"})  # the audit trail, fhirapi/audit


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user of the EHR, an API client, or the system itself. `policy` is what
    they may do: a person's rights (`user_actor`), a SMART token's scopes (fhirapi.smart.policy),
    both, or everything (the system)."""

    username: str = "system"
    client_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    policy: AccessPolicy = FULL_ACCESS
    service_account: bool = False  # a Backend Services client: its scopes only, for no person

    @property
    def patient_id(self) -> str | None:
        """The Patient a SMART patient-context token is bound to; None when not bound to one."""
        return self.policy.patient_id


SYSTEM = Actor()


def user_actor(
    user: Any,
    *,
    client_id: str | None = None,
    scopes: frozenset[str] = frozenset(),
    policy: AccessPolicy = FULL_ACCESS,
) -> Actor:
    """A person acting: what their roles and the restricted charts allow them
    (`settings.FHIR_USER_POLICY` builds that policy from the user), narrowed by `policy` (a SMART
    token's scopes). Every repository acting for a signed-in user or a user's token is made so."""
    rights = import_string(settings.FHIR_USER_POLICY)(user)
    combined = rights if policy is FULL_ACCESS else CombinedPolicy(rights, policy)
    return Actor(username=user.get_username(), client_id=client_id, scopes=scopes, policy=combined)


def _authored_write(method: Callable) -> Callable:
    """A FhirRepository write: atomic, its change events naming the repository's actor."""

    @functools.wraps(method)
    def write(self: "FhirRepository", *args: Any, **kwargs: Any) -> Any:
        with authored_by(self.actor), transaction.atomic():
            return method(self, *args, **kwargs)

    return write


@dataclass
class DeferredChecks:
    """Resources whose references are checked later, each with a label saying where it came from."""

    label: Any = None
    resources: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)


class FhirRepository:
    def __init__(self, *, actor: Actor = SYSTEM, lenient_references: bool | None = None) -> None:
        self.actor = actor
        self.policy = actor.policy
        self.lenient_references = (
            settings.FHIR_LENIENT_REFERENCES if lenient_references is None else lenient_references
        )
        self._deferred_checks: DeferredChecks | None = None

    # -- reads ---------------------------------------------------------------------------------

    def read(self, resource_type: str, resource_id: str) -> StoredResource:
        require_resource_type(resource_type)
        require_possible_id(resource_type, resource_id)
        self.policy.require("r", resource_type)
        with replica_reads():
            stored = reads.record_read(resource_type, resource_id)
        self.policy.require_resource("r", stored.content)
        return stored

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource:
        require_resource_type(resource_type)
        require_possible_id(resource_type, resource_id)
        if not 0 < version_id < 2**31:  # the column's range
            raise ResourceNotFound(f"{resource_type}/{resource_id} has no version {version_id}")
        self.policy.require("r", resource_type)
        with replica_reads():
            stored = reads.version_read(resource_type, resource_id, version_id)
        self.policy.require_resource("r", stored.content)
        return stored

    def history(self, query: reads.HistoryQuery) -> reads.HistoryPage:
        if query.resource_type:
            require_resource_type(query.resource_type)
        if query.resource_id:
            require_possible_id(query.resource_type, query.resource_id)
            self.policy.require("r", query.resource_type)
        else:
            self.policy.require_whole_type(query.resource_type)
        with replica_reads():
            page = reads.history_page(query)
        if not query.resource_id:  # type and system history leave restricted charts out
            page = self._without_hidden(page)
        for stored in page.versions:
            self.policy.require_resource("r", stored.content)
        return page

    def _without_hidden(self, page: reads.HistoryPage) -> reads.HistoryPage:
        if not self.policy.hidden_patients():
            return page
        kept = [i for i, v in enumerate(page.versions) if not self.policy.hides(v.content)]
        return dataclasses.replace(
            page,
            versions=[page.versions[i] for i in kept],
            methods=[page.methods[i] for i in kept],
        )

    # -- writes --------------------------------------------------------------------------------

    @_authored_write
    def create(
        self,
        resource: dict[str, Any],
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
    ) -> WriteOutcome:
        """Create with a server-assigned id (`resource_id` is for ids a transaction assigned)."""
        self.policy.require_resource("c", resource)
        self.check(resource, resource_type)
        return writes.record_insert(resource, resource_id or writes.new_resource_id())

    @_authored_write
    def create_many(
        self, resources: list[tuple[dict[str, Any], str]], *, labels: list[Any] | None = None
    ) -> list[WriteOutcome]:
        """Create many resources with ids assigned by the caller (a transaction's POST entries).
        A failure carries, as `label`, the label of the resource that failed."""
        labels = labels or list(range(len(resources)))
        for (resource, _), label in zip(resources, labels, strict=True):
            if self._deferred_checks is not None:
                self._deferred_checks.label = label
            try:
                self.policy.require_resource("c", resource)
                self.check(resource, None)
            except FhirError as exc:
                exc.label = label
                raise
        return writes.records_insert_many(resources)

    @_authored_write
    def conditional_create(
        self, resource: dict[str, Any], *, if_none_exist: str, resource_type: str | None = None
    ) -> WriteOutcome:
        """Create unless the query (If-None-Exist) matches: one match is returned unchanged."""
        self.policy.require_resource("c", resource)
        self.check(resource, resource_type)
        from fhirapi.search.engine import lock_query

        lock_query(resource["resourceType"], parse_qsl(if_none_exist, keep_blank_values=True))
        matches = self.match(resource["resourceType"], if_none_exist)
        self.require_at_most_one(matches, if_none_exist)
        if matches:
            return WriteOutcome(matches[0], changed=False)
        return writes.record_insert(resource, writes.new_resource_id())

    @_authored_write
    def conditional_update(
        self,
        resource_type: str,
        query: str,
        resource: dict[str, Any],
        *,
        if_match: int | None = None,
    ) -> WriteOutcome:
        """Update the one resource the query matches; create when none does (spec semantics)."""
        self.policy.require_resource("u", resource)
        self.check(resource, resource_type)
        matches = self.match(resource_type, query)
        self.require_at_most_one(matches, query)
        for stored in matches:
            self.policy.require_resource("u", stored.content)
        body_id = resource.get("id")
        if matches:
            target = matches[0].resource_id
            if body_id is not None and body_id != target:
                raise BadRequest(
                    f"the resource's id {body_id!r} differs from the matching resource {target!r}",
                    expression=[f"{resource_type}.id"],
                )
            return writes.record_write(resource, target, if_match=if_match)
        if body_id is not None:
            require_valid_id(body_id)
            return writes.record_write(resource, body_id, if_match=if_match)
        return writes.record_insert(resource, writes.new_resource_id())

    @_authored_write
    def conditional_delete(self, resource_type: str, query: str, *, multiple: bool = False) -> int:
        """Delete what the query matches (more than one only with `multiple`); returns the count."""
        require_resource_type(resource_type)
        if not query:
            raise PreconditionFailed("a conditional delete needs search parameters")
        matches = self.match(resource_type, query, limit=None if multiple else 2)
        if not multiple:
            self.require_at_most_one(matches, query)
        for stored in matches:
            self.policy.require_resource("d", stored.content)
        for stored in matches:
            writes.record_delete(resource_type, stored.resource_id)
        return len(matches)

    @_authored_write
    def update(
        self,
        resource_type: str,
        resource_id: str,
        resource: dict[str, Any],
        *,
        if_match: int | None = None,
    ) -> WriteOutcome:
        self.policy.require_resource("u", resource)
        self.check(resource, resource_type)
        body_id = resource.get("id")
        if body_id is None:
            raise BadRequest(
                "the resource has no id; an update must carry the id of its URL",
                expression=[f"{resource_type}.id"],
            )
        if body_id != resource_id:
            raise BadRequest(
                f"the resource's id {body_id!r} differs from the id in the URL {resource_id!r}",
                expression=[f"{resource_type}.id"],
            )
        require_valid_id(resource_id)
        self._require_current("u", resource_type, resource_id)
        return writes.record_write(resource, resource_id, if_match=if_match)

    @_authored_write
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
        require_possible_id(resource_type, resource_id)
        self.policy.require("u", resource_type)
        record = writes.record_for_update(resource_type, resource_id)
        if record is None:
            raise ResourceNotFound(f"{resource_type}/{resource_id} is not known")
        self.policy.require_resource("u", record.content)
        if record.deleted:
            reads.record_read(resource_type, resource_id)  # raises ResourceGone
        if content_type == JSON_PATCH:
            patched = apply_json_patch(record.content, patch)
        else:
            patched = apply_fhirpath_patch(record.content, patch)
        self.policy.require_resource("u", patched)
        self.check(patched, resource_type)
        return writes.record_write(
            patched, resource_id, if_match=if_match, method=ResourceVersion.Method.PATCH
        )

    @_authored_write
    def delete(
        self, resource_type: str, resource_id: str, *, if_match: int | None = None
    ) -> WriteOutcome:
        require_resource_type(resource_type)
        require_possible_id(resource_type, resource_id)
        self.policy.require("d", resource_type)
        self._require_current("d", resource_type, resource_id)
        return writes.record_delete(resource_type, resource_id, if_match=if_match)

    @_authored_write
    def meta_change(
        self, resource_type: str, resource_id: str, change: Callable[[dict], dict]
    ) -> dict[str, Any]:
        """Change the current version's meta in place ($meta-add/$meta-delete: no new version)."""
        require_resource_type(resource_type)
        require_possible_id(resource_type, resource_id)
        self.policy.require("u", resource_type)
        self._require_current("u", resource_type, resource_id)
        return writes.record_meta_change(resource_type, resource_id, change)

    def meta_summary(self, resource_type: str | None) -> dict[str, Any]:
        if resource_type is not None:
            require_resource_type(resource_type)
        self.policy.require_whole_type(resource_type)
        return reads.meta_summary(resource_type)

    def type_counts(self) -> reads.TypeCounts:
        """How many current resources of each type the store holds (estimated when huge)."""
        self.policy.require_whole_type(None)
        with replica_reads():
            return reads.type_counts()

    def _require_current(self, permission: str, resource_type: str, resource_id: str) -> None:
        """Refuse changing a resource whose current content the actor may not change (only
        restricted actors pay for reading it)."""
        if self.policy.restricted:
            record = writes.record_for_update(resource_type, resource_id)
            if record is not None:
                self.policy.require_resource(permission, record.content)

    # -- bundles -------------------------------------------------------------------------------

    def transaction(self, bundle: dict[str, Any], *, base_url: str) -> dict[str, Any]:
        """All or nothing. A deadlock or serialization failure (transient: PostgreSQL chose this
        transaction to roll back) is retried, unless the caller's own transaction encloses it."""
        from fhirapi.store.transactions import BundleProcessor

        for attempt in range(1, TRANSIENT_RETRIES + 1):
            try:
                return BundleProcessor(self, base_url).transaction(bundle)
            except OperationalError as exc:
                last = attempt == TRANSIENT_RETRIES
                if last or not is_transient(exc) or connection.in_atomic_block:
                    raise
        raise AssertionError("unreachable")

    def batch(self, bundle: dict[str, Any], *, base_url: str) -> dict[str, Any]:
        from fhirapi.store.transactions import BundleProcessor

        return BundleProcessor(self, base_url).batch(bundle)

    @contextlib.contextmanager
    def deferred_reference_checks(self) -> Iterator["DeferredChecks"]:
        """Check references once, at the end, so entries of a transaction may refer to each other
        in any order. Runs inside the caller's transaction: a failure rolls everything back."""
        deferred = DeferredChecks()
        self._deferred_checks = deferred
        try:
            yield deferred
            for label, resource in deferred.resources:
                try:
                    require_references_exist(resource)
                except InvalidResource as exc:
                    exc.label = label
                    raise
        finally:
            self._deferred_checks = None

    # -- search --------------------------------------------------------------------------------

    def match(
        self, resource_type: str, query: str, *, limit: int | None = 2
    ) -> list[StoredResource]:
        """The current resources a conditional interaction's query matches."""
        from fhirapi.search.engine import find_matches

        require_resource_type(resource_type)
        matches = find_matches(resource_type, parse_qsl(query, keep_blank_values=True), limit=limit)
        for stored in matches:
            self.policy.require_visible(stored.content)
        return matches

    def search_bundle(
        self,
        resource_type: str | None,
        params: list[tuple[str, str]],
        *,
        base_url: str,
        strict: bool = False,
    ) -> dict[str, Any]:
        if resource_type is not None:
            require_resource_type(resource_type)
        params = self.policy.search_params(resource_type, params)
        from fhirapi.search.engine import search_bundle

        with search_timer(resource_type), replica_reads():
            bundle = search_bundle(
                resource_type,
                params,
                base_url=base_url,
                strict=strict,
                compartment_patient=self.policy.search_compartment(resource_type),
                hidden_patients=self.policy.hidden_patients(),
            )
        return subset_bundle(self.policy.visible_bundle(bundle), params)

    def compartment_search(
        self,
        patient_id: str,
        resource_type: str | None,
        params: list[tuple[str, str]],
        *,
        base_url: str,
        strict: bool = False,
    ) -> dict[str, Any]:
        """`Patient/[id]/[type]` (every type of the compartment when `resource_type` is None)."""
        from fhirapi.search.engine import compartment_bundle

        require_possible_id("Patient", patient_id)
        if resource_type is not None:
            require_resource_type(resource_type)
        params = self.policy.search_params(resource_type, params)
        with search_timer(resource_type), replica_reads():
            bundle = compartment_bundle(
                patient_id,
                resource_type,
                params,
                base_url=base_url,
                strict=strict,
                compartment_patient=self.policy.search_compartment(resource_type),
                hidden_patients=self.policy.hidden_patients(),
            )
        return subset_bundle(self.policy.visible_bundle(bundle), params)

    @staticmethod
    def require_at_most_one(matches: list[StoredResource], query: str) -> None:
        if len(matches) > 1:
            raise PreconditionFailed(f"the condition {query!r} matches more than one resource")

    @staticmethod
    def require_exactly_one(matches: list[StoredResource], query: str) -> None:
        if not matches:
            raise InvalidResource(f"the conditional reference {query!r} matches no resource")
        if len(matches) > 1:
            raise PreconditionFailed(
                f"the conditional reference {query!r} matches more than one resource"
            )

    # -- checks --------------------------------------------------------------------------------

    def check(self, resource: Any, expected_type: str | None) -> None:
        """Validate a resource and (unless lenient) its references; raises what a write would."""
        if expected_type is not None:
            require_resource_type(expected_type)
        validate_resource(resource, expected_type=expected_type)
        if resource["resourceType"] in SERVER_WRITTEN_TYPES:
            raise MethodNotAllowed(f"{resource['resourceType']} is written by the server only")
        if self.lenient_references:
            return
        if self._deferred_checks is not None:
            self._deferred_checks.resources.append((self._deferred_checks.label, resource))
        else:
            require_references_exist(resource)


def is_transient(exc: Exception) -> bool:
    """A database error that succeeds when tried again (PostgreSQL rolled the transaction back)."""
    return getattr(exc.__cause__, "sqlstate", None) in TRANSIENT_SQLSTATES


def require_resource_type(resource_type: str) -> None:
    if not is_resource_type(resource_type):
        raise ResourceNotFound(f"{resource_type!r} is not a FHIR R4 resource type")


def require_possible_id(resource_type: str, resource_id: Any) -> None:
    """An id no resource can have (a NUL byte, a slash, 65 characters) is simply not found."""
    if not isinstance(resource_id, str) or not writes.ID_PATTERN.fullmatch(resource_id):
        raise ResourceNotFound(f"{resource_type}/{resource_id!r} is not known (not a FHIR id)")


def require_valid_id(resource_id: str) -> None:
    if not writes.ID_PATTERN.fullmatch(resource_id):
        raise BadRequest(f"{resource_id!r} is not a valid FHIR id (1-64 of A-Z a-z 0-9 - .)")


def require_references_exist(resource: dict[str, Any]) -> None:
    """Refuse (422) a resource that refers to resources this server does not hold."""
    wanted: dict[tuple[str, str], list[str]] = {}
    issues = check_contained_references(resource)
    for site in iter_references(resource):
        try:
            parsed = parse_reference(site.reference, base_url=settings.FHIR_BASE_URL)
        except InvalidReference as exc:
            issues.append(Issue("value", str(exc), expression=(site.location,)))
            continue
        if parsed.kind in (ReferenceKind.RELATIVE, ReferenceKind.VERSIONED):
            key = (parsed.resource_type, parsed.resource_id)
            wanted.setdefault(key, []).append(site.location)
    missing = set(wanted) - reads.current_exists(set(wanted))
    issues += [
        Issue(
            "not-found", f"{t}/{i} does not exist on this server", expression=tuple(wanted[(t, i)])
        )
        for t, i in sorted(missing)
    ]
    if issues:
        raise InvalidResource("the resource's references cannot be resolved", issues=issues)
