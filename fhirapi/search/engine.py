"""The search engine's entry points: a searchset Bundle for type, system and Patient-compartment
searches, and the matches of a conditional interaction's query.

`total`: `_total=accurate` counts every match, `_total=estimate` gives the planner's estimate and
`_total=none` leaves it out. By default the total is given when it is cheap: always on a last
page (it follows from the page), otherwise counted up to DEFAULT_TOTAL_LIMIT matches and left out
beyond that.

`compartment_patient` (a SMART patient-context token) keeps only resources in that Patient's
compartment; it combines with the compartment of a `Patient/[id]/[type]` search, and it also
restricts the resources `_include`/`_revinclude` add to a page (`include`). `hidden_patients`
(restricted charts the actor may not open) leaves out every resource in those Patients'
compartments: from the matches, from what `_has` looks at, and from what the includes add.
"""

import dataclasses
import zlib

from django.conf import settings
from django.db import connection

from fhirapi.search.bundle import Page, searchset
from fhirapi.search.custom_params import ensure_custom_parameters
from fhirapi.search.include import include_cap, included_resources
from fhirapi.search.paging import BEFORE, decode_cursor
from fhirapi.search.query import SearchQuery, parse_query
from fhirapi.search.registry import patient_compartment_params, resource_types
from fhirapi.search.scope import Scope
from fhirapi.search.sorting import sort_columns
from fhirapi.search.sql import FALSE, Sql
from fhirapi.search.statement import (
    count_matches,
    estimate_matches,
    matching,
    page_of_matches,
)
from fhirapi.store.values import StoredResource

DEFAULT_TOTAL_LIMIT = 10_000


def search_bundle(
    resource_type: str | None,
    params: list[tuple[str, str]],
    *,
    base_url: str,
    strict: bool = False,
    compartment_patient: str | None = None,
    hidden_patients: tuple[str, ...] = (),
) -> dict:
    """A type search (`resource_type`) or a system search (None, with `_type` or without)."""
    ensure_custom_parameters()
    query = parse_query(resource_type, params, strict=strict)
    compartments = (compartment_patient,) if compartment_patient else ()
    where = matching(query, _scope(query, base_url, hidden_patients), compartments)
    path = resource_type or ""
    return _search(
        query,
        where,
        base_url=base_url,
        path=path,
        compartments=compartments,
        hidden=hidden_patients,
    )


def compartment_bundle(
    patient_id: str,
    resource_type: str | None,
    params: list[tuple[str, str]],
    *,
    base_url: str,
    strict: bool = False,
    compartment_patient: str | None = None,
    hidden_patients: tuple[str, ...] = (),
) -> dict:
    """`Patient/[id]/[type]`, or `Patient/[id]/*` (every type of the compartment) when
    `resource_type` is None."""
    ensure_custom_parameters()
    query = parse_query(resource_type, params, strict=strict)
    members = compartment_types()
    kept = tuple(t for t in query.resource_types or members if t in members)
    query = dataclasses.replace(query, resource_types=kept)
    compartments = tuple(dict.fromkeys(p for p in (patient_id, compartment_patient) if p))
    scope = _scope(query, base_url, hidden_patients)
    where = matching(query, scope, compartments) if kept else FALSE
    path = f"Patient/{patient_id}/{resource_type or '*'}"
    restriction = (compartment_patient,) if compartment_patient else ()
    return _search(
        query, where, base_url=base_url, path=path, compartments=restriction, hidden=hidden_patients
    )


def find_matches(
    resource_type: str,
    params: list[tuple[str, str]],
    *,
    limit: int | None,
    compartment_patient: str | None = None,
) -> list[StoredResource]:
    """The current resources a conditional interaction's query matches (strict: an unknown
    parameter is an error rather than a condition silently dropped)."""
    ensure_custom_parameters()
    query = parse_query(resource_type, params, strict=True)
    compartments = (compartment_patient,) if compartment_patient else ()
    where = matching(query, _scope(query, ""), compartments)
    return [m.stored for m in page_of_matches(where, [], limit=limit)]


def visible_condition(
    resource_type: str,
    params: list[tuple[str, str]],
    *,
    compartment_patient: str | None = None,
    hidden_patients: tuple[str, ...] = (),
) -> Sql:
    """The WHERE clause (records alias `r`) of what a type search with `params` finds under an
    actor's restrictions, as `search_bundle` applies them: for readers of whole types (export)."""
    ensure_custom_parameters()
    query = parse_query(resource_type, params, strict=True)
    compartments = (compartment_patient,) if compartment_patient else ()
    return matching(query, _scope(query, "", hidden_patients), compartments)


def lock_query(resource_type: str, params: list[tuple[str, str]]) -> None:
    """Serialize conditional writes with the same query until the transaction ends (so two
    concurrent conditional creates cannot both find nothing and both create)."""
    key = f"{resource_type}?{sorted(params)}".encode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(key)])


def compartment_types() -> frozenset[str]:
    return frozenset(t for t in resource_types() if patient_compartment_params(t))


def _scope(query: SearchQuery, base_url: str, hidden_patients: tuple[str, ...] = ()) -> Scope:
    types = query.resource_types or tuple(resource_types())
    bases = tuple(b for b in (settings.FHIR_BASE_URL, base_url) if b)
    return Scope(types, bases, hidden_patients=hidden_patients)


def _search(
    query: SearchQuery,
    where: Sql,
    *,
    base_url: str,
    path: str,
    compartments: tuple[str, ...],
    hidden: tuple[str, ...],
) -> dict:
    page = _page(query, where) if not query.summary_count else Page([], None, False, False)
    total = page.total if page.total is not None else _total(query, where)
    page = dataclasses.replace(page, total=total)
    if query.includes and page.matches:
        found = included_resources(query.includes, page.matches, compartments, hidden)
        cap = include_cap() if found.capped else None
        page = dataclasses.replace(page, included=found.resources, include_capped=cap)
    return searchset(query, page, base_url=base_url, path=path)


def _page(query: SearchQuery, where: Sql) -> Page:
    if query.count == 0:
        return Page([], None, False, False)
    columns = sort_columns(query.sort)
    cursor = decode_cursor(query.page, columns) if query.page else None
    offset = query.offset if cursor is None else 0
    matches = page_of_matches(where, columns, limit=query.count + 1, offset=offset, cursor=cursor)
    if cursor is not None and cursor.direction == BEFORE:
        more_before = len(matches) > query.count
        return Page(matches[-query.count :], None, True, more_before)
    has_next = len(matches) > query.count
    known_total = None
    if not has_next and cursor is None and (matches or not offset) and query.total != "none":
        known_total = offset + len(matches)
    return Page(matches[: query.count], known_total, has_next, cursor is not None or offset > 0)


def _total(query: SearchQuery, where: Sql) -> int | None:
    if query.total == "none":
        return None
    if query.total == "estimate":
        return estimate_matches(where)
    if query.total == "accurate" or query.summary_count:
        return count_matches(where)
    found = count_matches(where, limit=DEFAULT_TOTAL_LIMIT)
    return found if found <= DEFAULT_TOTAL_LIMIT else None
