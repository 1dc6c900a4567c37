"""The resources `_include` and `_revinclude` add to a page (search.mode `include`).

Only the page's matches are followed (then, for `:iterate`, the resources included so far, up to
MAX_ITERATIONS rounds). An included resource is listed once, never when it is already a match, and
never counts in `total`. At most `settings.FHIR_MAX_INCLUDED` (env FHIR_MAX_INCLUDED, default 1000)
resources are included per page; beyond that the Bundle's OperationOutcome says the list was cut.

With `compartment_patient` (a SMART patient-context token) an included resource of a type in the
Patient compartment must be in that patient's compartment; shared types (Practitioner,
Organization, Medication...) are included as they are. The access policy then re-checks every
entry (`visible_bundle`). Nothing in a `hidden` Patient's compartment (a restricted chart the actor
may not open) is included.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from fhirapi.search.include_params import Include
from fhirapi.search.models import ReferenceIndex
from fhirapi.search.registry import patient_compartment_params, resource_types
from fhirapi.search.sql import (
    COMPARTMENTS,
    RECORDS,
    TRUE,
    Sql,
    all_of,
    any_of,
    outside_compartments,
)
from fhirapi.search.statement import Match, fetch_rows, match_from_row
from fhirapi.store.values import StoredResource

REFERENCES = ReferenceIndex._meta.db_table
MAX_INCLUDED = 1000
MAX_ITERATIONS = 4
_COLUMNS = "t.id, t.resource_type, t.resource_id, t.version_id, t.last_updated, t.content"


@dataclass(frozen=True, slots=True)
class Included:
    resources: list[StoredResource]
    capped: bool  # more would have been included than the cap allows


def included_resources(
    includes: tuple[Include, ...],
    matches: list[Match],
    compartments: tuple[str, ...],
    hidden: tuple[str, ...] = (),
) -> Included:
    """The resources the includes add to a page of `matches`."""
    cap = include_cap()
    seen = {m.record_id for m in matches}
    frontier = [m.record_id for m in matches]
    found: list[Match] = []
    for round_number in range(MAX_ITERATIONS + 1):
        active = [i for i in includes if round_number == 0 or i.iterate]
        if not active or not frontier:
            break
        new = _round(active, frontier, seen, compartments, hidden, limit=cap - len(found) + 1)
        seen.update(m.record_id for m in new)
        found.extend(new)
        if len(found) > cap:
            return Included([m.stored for m in found[:cap]], True)
        frontier = [m.record_id for m in new]
    return Included([m.stored for m in found], False)


def include_cap() -> int:
    return int(getattr(settings, "FHIR_MAX_INCLUDED", MAX_INCLUDED))


def _round(
    includes: list[Include],
    frontier: list[int],
    seen: set[int],
    compartments: tuple[str, ...],
    hidden: tuple[str, ...],
    *,
    limit: int,
) -> list[Match]:
    forward = [i for i in includes if not i.reverse]
    reverse = [i for i in includes if i.reverse]
    chosen = any_of(
        [
            *([_forward(forward, frontier)] if forward else []),
            *([_reverse(reverse, frontier)] if reverse else []),
        ]
    )
    where = all_of(
        [
            Sql("NOT t.deleted"),
            Sql("NOT (t.id = ANY(%s))", (sorted(seen),)),
            *(_in_compartment(patient_id) for patient_id in compartments),
            outside_compartments("t", hidden),
            chosen,
        ]
    )
    text = f"SELECT {_COLUMNS} FROM {RECORDS} t WHERE {where.text} ORDER BY t.id LIMIT %s"
    return [match_from_row(row) for row in fetch_rows(text, (*where.params, limit))]


def _forward(includes: list[Include], frontier: list[int]) -> Sql:
    """Targets of the frontier's references named by the includes."""
    which = any_of(_reference_condition(i, "l.resource_type", "l.target_type") for i in includes)
    where = all_of(
        [Sql("l.record_id = ANY(%s)", (frontier,)), Sql("l.target_id IS NOT NULL"), which]
    )
    return Sql(
        "(t.resource_type, t.resource_id) IN "
        f"(SELECT l.target_type, l.target_id FROM {REFERENCES} l WHERE {where.text})",
        where.params,
    )


def _reverse(includes: list[Include], frontier: list[int]) -> Sql:
    """Resources whose references named by the includes point to the frontier."""
    which = any_of(_reference_condition(i, "l.resource_type", "l.target_type") for i in includes)
    targets = Sql(
        f"(l.target_type, l.target_id) IN (SELECT s.resource_type, s.resource_id FROM {RECORDS} s"
        " WHERE s.id = ANY(%s))",
        (frontier,),
    )
    where = all_of([targets, which])
    return Sql(f"t.id IN (SELECT l.record_id FROM {REFERENCES} l WHERE {where.text})", where.params)


def _reference_condition(include: Include, source_column: str, target_column: str) -> Sql:
    parts = []
    if include.source_type is not None:
        parts.append(Sql(f"{source_column} = %s", (include.source_type,)))
    if include.code is not None:
        parts.append(Sql("l.param = %s", (include.code,)))
    if include.target_type is not None:
        parts.append(Sql(f"{target_column} = %s", (include.target_type,)))
    return all_of(parts) if parts else TRUE


def _in_compartment(patient_id: str) -> Sql:
    """Shared types pass; a compartment type must be in the patient's compartment."""
    return Sql(
        f"(NOT (t.resource_type = ANY(%s)) OR EXISTS (SELECT 1 FROM {COMPARTMENTS} k"
        " WHERE k.record_id = t.id AND k.patient_id = %s))",
        (_compartment_types(), patient_id),
    )


def _compartment_types() -> list[str]:
    return sorted(_members(resource_types()))


def _members(types: Iterable[str]) -> set[str]:
    return {t for t in types if patient_compartment_params(t)}
