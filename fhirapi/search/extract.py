"""Index values for one resource: every search parameter of its type, evaluated and turned into
typed rows, plus the Patient compartments the resource belongs to.

Per resource type a plan is built once (and rebuilt when custom parameters change): each
parameter's compiled FHIRPath (`fhirpath_compile`) and the function turning its nodes into rows
(`string_values`, `token_values`, `date_values`, `number_values`, `reference_values`). Composite
parameters evaluate each component on every element their expression selects and keep every
combination of the components' rows.
"""

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import InvalidOperation
from typing import Any

from fhirapi.search import registry
from fhirapi.search.date_values import date_rows
from fhirapi.search.fhirpath_compile import Evaluate, compile_expression
from fhirapi.search.index_rows import CompositeRow, IndexValues, Row
from fhirapi.search.number_values import number_rows, quantity_rows
from fhirapi.search.reference_values import reference_rows, uri_rows
from fhirapi.search.registry import ParamType, SearchParam
from fhirapi.search.string_values import string_rows
from fhirapi.search.token_values import token_rows

logger = logging.getLogger(__name__)

Nodes = list[tuple[Any, str]]
RowWriter = Callable[[str, Nodes, list[Any]], None]  # (param code, nodes, rows to append to)

# Parameter type -> (IndexValues list the rows go to, the function making them).
_WRITERS: dict[ParamType, tuple[str, RowWriter]] = {
    ParamType.STRING: ("strings", string_rows),
    ParamType.TOKEN: ("tokens", token_rows),
    ParamType.DATE: ("dates", date_rows),
    ParamType.NUMBER: ("numbers", number_rows),
    ParamType.QUANTITY: ("quantities", quantity_rows),
    ParamType.REFERENCE: ("references", reference_rows),
    ParamType.URI: ("uris", uri_rows),
}
# What malformed resource content (a string where an object belongs...) raises while indexing.
_BAD_CONTENT = (AttributeError, TypeError, ValueError, KeyError, InvalidOperation)
_ROW_LISTS = ("strings", "tokens", "dates", "numbers", "quantities", "references", "uris")
_ROW_LISTS += ("composites",)


@dataclass(slots=True)
class _Composite:
    """Writes the rows of one composite parameter; compiles its components per element type."""

    param: SearchParam
    resource_type: str
    # element type -> per component: (its code, its compiled expression, its row writer)
    components: dict[str, tuple[tuple[str, Evaluate, RowWriter], ...]] = field(default_factory=dict)

    def write(self, resource: dict[str, Any], nodes: Nodes, out: list[CompositeRow]) -> None:
        for element, element_type in nodes:
            parts: list[list[Row]] = []
            for code, evaluate, writer in self.components_for(element_type):
                rows: list[Row] = []
                writer(code, evaluate(resource, element), rows)
                parts.append(rows)
            if all(parts):
                code = self.param.code
                out.extend(CompositeRow(code, combo) for combo in itertools.product(*parts))

    def components_for(self, element_type: str) -> tuple[tuple[str, Evaluate, RowWriter], ...]:
        """The components, compiled for an element of `element_type` the expression selected."""
        components = self.components.get(element_type)
        if components is None:
            components = self.components[element_type] = tuple(
                (
                    component.code,
                    compile_expression(
                        component.expression,  # type: ignore[arg-type]
                        self.resource_type,
                        element_type,
                    ).evaluate,
                    _WRITERS[component.type][1],  # type: ignore[index]
                )
                for component in self.param.components
            )
        return components


@dataclass(frozen=True, slots=True)
class _Step:
    param: SearchParam
    evaluate: Evaluate
    target: str  # the IndexValues list the rows go to
    writer: RowWriter | None  # None for composites
    composite: _Composite | None = None

    def run(self, resource: dict[str, Any], values: IndexValues) -> None:
        nodes = self.evaluate(resource)
        if not nodes:
            return
        rows = getattr(values, self.target)
        if self.composite is not None:
            self.composite.write(resource, nodes, rows)
        else:
            self.writer(self.param.code, nodes, rows)  # type: ignore[misc]


_plans: dict[str, tuple[int, tuple[_Step, ...]]] = {}
_plans_lock = threading.Lock()


def extract_index_values(resource: dict[str, Any]) -> IndexValues:
    """The index rows of `resource` for every search parameter of its type."""
    resource_type = resource["resourceType"]
    values = IndexValues(resource_type, resource.get("id"))
    for step in plan_for(resource_type):
        try:
            step.run(resource, values)
        except _BAD_CONTENT:
            logger.warning(
                "could not index %s on %s/%s", step.param.code, resource_type, values.resource_id
            )
    _drop_duplicates(values)
    values.patient_compartments = patient_compartments(resource, values)
    return values


def plan_for(resource_type: str) -> tuple[_Step, ...]:
    """The compiled steps for `resource_type`, built on first use and after registry changes."""
    generation = registry.generation()
    cached = _plans.get(resource_type)
    if cached is not None and cached[0] == generation:
        return cached[1]
    with _plans_lock:
        steps = tuple(
            _step(p) for p in registry.parameters_for(resource_type).values() if _indexed(p)
        )
        _plans[resource_type] = (generation, steps)
    return steps


def _indexed(param: SearchParam) -> bool:
    if param.expression is None or param.type == ParamType.SPECIAL:
        return False
    if param.type == ParamType.COMPOSITE:
        return bool(param.components) and all(c.type in _WRITERS for c in param.components)
    return True


def _step(param: SearchParam) -> _Step:
    evaluate = compile_expression(param.expression, param.resource_type).evaluate  # type: ignore[arg-type]
    if param.type == ParamType.COMPOSITE:
        composite = _Composite(param, param.resource_type)
        return _Step(param, evaluate, "composites", None, composite)
    target, writer = _WRITERS[param.type]
    return _Step(param, evaluate, target, writer)


def _drop_duplicates(values: IndexValues) -> None:
    """Unions (`Observation.code | Observation.component.code`) can yield a row twice."""
    for name in _ROW_LISTS:
        rows = getattr(values, name)
        if len(rows) > 1:
            setattr(values, name, list(dict.fromkeys(rows)))


def patient_compartments(resource: dict[str, Any], values: IndexValues) -> set[str]:
    """The ids of the Patients whose compartment the resource is in: the Patient itself, and the
    Patients its compartment parameters (per the Patient CompartmentDefinition) refer to."""
    params = set(registry.patient_compartment_params(values.resource_type))
    members = {
        row.target_id
        for row in values.references
        if row.param in params and row.target_type == "Patient" and row.target_id
    }
    if registry.DEFINITION_OWNER in params and resource.get("id"):
        members.add(resource["id"])
    return members
