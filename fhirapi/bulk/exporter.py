"""Writing an export: one NDJSON file per resource type, the current version of each resource,
streamed from the resource table in keyset pages (memory stays flat however large the store).
Lines are PostgreSQL's own JSON text of the stored content, written as they come.

Patient-level exports hold the resources in some Patient's compartment, Group-level ones those in
the compartments of the Group's member Patients (the search index's compartment table).

An export holds what its requester could search (`policy`, the requester's actor's): restricted
charts closed to them, a token's patient context and its scopes' constraints narrow the query as
they narrow a search; a resource under a scope's constraints is checked again as a search result
is (`AccessPolicy.sees`)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson

from fhirapi.bulk import records
from fhirapi.search import registry
from fhirapi.search.engine import visible_condition
from fhirapi.search.sql import Sql
from fhirapi.smart.policy import FULL_ACCESS, AccessPolicy

NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})


class ExportStopped(Exception):
    """The export was cancelled while it ran."""


@dataclass(frozen=True)
class ExportQuery:
    level: str = "system"  # system, patient or group
    types: tuple[str, ...] = ()  # empty: every type the level covers
    since: datetime | None = None
    members: tuple[str, ...] = ()  # the Group's Patient ids
    only_ids: dict[str, set[str]] = field(default_factory=dict)  # _typeFilter results per type


@dataclass(frozen=True)
class ExportFile:
    resource_type: str
    name: str
    count: int


# Called with (resources written so far, the type being written); False stops the export.
ProgressCallback = Callable[[int, str], bool]


def compartment_types() -> list[str]:
    """The resource types that can be in a Patient's compartment (Patient included)."""
    return [t for t in registry.resource_types() if registry.patient_compartment_params(t)]


def export_types(query: ExportQuery) -> list[str]:
    stored = records.stored_types()
    if query.level != "system":
        allowed = set(compartment_types())
        stored = [t for t in stored if t in allowed]
    if query.types:
        stored = [t for t in stored if t in query.types]
    return stored


def export_write(
    query: ExportQuery,
    directory: Path,
    *,
    policy: AccessPolicy = FULL_ACCESS,
    on_progress: ProgressCallback | None = None,
    page_size: int = 1000,
) -> list[ExportFile]:
    directory.mkdir(parents=True, exist_ok=True)
    files: list[ExportFile] = []
    written = 0
    for resource_type in export_types(query):
        name = f"{resource_type}.ndjson"
        count = 0
        with (directory / name).open("w", encoding="utf-8") as out:
            for page in _pages(query, resource_type, page_size, policy):
                out.writelines(f"{text}\n" for _, text in page)
                count += len(page)
                if on_progress is not None and not on_progress(written + count, resource_type):
                    raise ExportStopped
        written += count
        if count:
            files.append(ExportFile(resource_type, name, count))
        else:
            (directory / name).unlink()
    return files


def _pages(query: ExportQuery, resource_type: str, page_size: int, policy: AccessPolicy):
    constraints = policy.search_params(resource_type, [])  # refuses a type the actor may not search
    common = {
        "since": query.since,
        "only_ids": query.only_ids.get(resource_type),
        "page_size": page_size,
        "visible": _visible(policy, resource_type, constraints),
    }
    if query.level == "group":
        pages = records.current_json_pages(
            resource_type, compartment_of=list(query.members), **common
        )
    elif query.level == "patient":
        pages = records.current_json_pages(resource_type, in_any_compartment=True, **common)
    else:
        pages = records.current_json_pages(resource_type, **common)
    if constraints:
        return ([row for row in page if policy.sees(orjson.loads(row[1]))] for page in pages)
    return pages


def _visible(policy: AccessPolicy, resource_type: str, constraints: list) -> Sql | None:
    """The search condition of what the actor may see of the type; None: all of it."""
    compartment = policy.search_compartment(resource_type)
    hidden = policy.hidden_patients()
    if not (constraints or compartment or hidden):
        return None
    return visible_condition(
        resource_type, constraints, compartment_patient=compartment, hidden_patients=hidden
    )
