"""Conditional references in imported data (`Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|
9999940999`, as newer Synthea Bulk output writes them), each resolved once per import.

The search engine answers them (FhirRepository.match) once `fhirapi.search.engine` exists; until
then `identifier=[system|]value` queries are answered with a JSONB containment query on the
resource table (records.ids_with_identifier), and other queries are refused."""

import importlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from fhirapi.bulk import records
from fhirapi.errors import InvalidResource, PreconditionFailed
from fhirapi.services import FhirRepository
from fhirapi.store.references import replace_references


def search_engine_available() -> bool:
    try:
        importlib.import_module("fhirapi.search.engine")
    except ImportError:
        return False
    return True


def is_conditional(reference: str) -> bool:
    return "?" in reference and not reference.startswith(("http:", "https:", "urn:", "#"))


class ReferenceResolver:
    def __init__(self, repository: FhirRepository) -> None:
        self.repository = repository
        self.resolved: dict[str, str] = {}  # "Type?query" -> "Type/id"

    def rewrite(self, resource: dict[str, Any], known: dict[str, str] | None = None) -> dict:
        """The resource, changed in place (imported resources are freshly parsed, no copy is
        needed), with `known` references (a Bundle's fullUrls) and conditional ones replaced."""
        known = known or {}

        def target(reference: str) -> str | None:
            if reference in known:
                return known[reference]
            return self.resolve(reference) if is_conditional(reference) else None

        replace_references(resource, target)
        return resource

    def resolve(self, reference: str) -> str:
        """`Type/id` of the one resource the conditional reference matches."""
        if reference not in self.resolved:
            resource_type, _, query = reference.partition("?")
            ids = self.matching_ids(resource_type, query)
            if not ids:
                raise InvalidResource(f"the conditional reference {reference!r} matches nothing")
            if len(ids) > 1:
                raise PreconditionFailed(
                    f"the conditional reference {reference!r} matches more than one resource"
                )
            self.resolved[reference] = f"{resource_type}/{ids[0]}"
        return self.resolved[reference]

    def lock_queries(self, conditions: Iterable[tuple[str, str]]) -> None:
        """Lock the (type, query) conditions of conditional writes (ifNoneExist, conditional
        PUT) until the transaction ends, as the store locks one (search.engine.lock_query), so
        that two concurrent imports of the same condition cannot both find nothing and both
        create. All of a Bundle's are taken here, sorted: two Bundles naming the same conditions
        in different orders then lock them in the same order, and do not deadlock."""
        if not search_engine_available():
            return
        from fhirapi.search.engine import lock_query

        parsed = {
            (resource_type, tuple(sorted(parse_qsl(query, keep_blank_values=True))))
            for resource_type, query in conditions
        }
        for resource_type, params in sorted(parsed):
            lock_query(resource_type, list(params))

    def matching_ids(self, resource_type: str, query: str) -> list[str]:
        if search_engine_available():
            return [stored.resource_id for stored in self.repository.match(resource_type, query)]
        params = parse_qsl(query, keep_blank_values=True)
        if len(params) != 1 or params[0][0] != "identifier":
            raise InvalidResource(
                f"{resource_type}?{query}: only identifier= conditions are resolved until the "
                "search engine is installed"
            )
        system, bar, value = params[0][1].rpartition("|")
        return records.ids_with_identifier(resource_type, system if bar and system else None, value)
