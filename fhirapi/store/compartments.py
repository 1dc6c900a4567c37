"""The Patients a resource belongs to (its Patient compartments), computed at write time for the
change events, so that whoever routes them (realtime screens) need not read the resource again.

Only the compartment parameters of the resource's type are evaluated (`subject`, `patient`,
`performer`... per the Patient CompartmentDefinition), with the search engine's compiled plan, so
this costs a few microseconds rather than a full index extraction. Absolute references to this
server (`http://this-server/fhir/Patient/1`) count as local, as the search index treats them.
"""

from typing import Any

from django.conf import settings

from fhirapi.search import registry
from fhirapi.search.extract import patient_compartments, plan_for
from fhirapi.search.index_rows import IndexValues
from fhirapi.search.references import parse_reference

_steps: dict[str, tuple[tuple, tuple]] = {}  # resource type -> (its full plan, compartment steps)


def resource_patient_ids(resource: dict[str, Any] | None) -> tuple[str, ...]:
    """The ids of the Patients whose compartment `resource` is in, sorted; () for none."""
    if not resource:
        return ()
    resource_type = resource.get("resourceType")
    if resource_type == "Patient":
        return (resource["id"],) if resource.get("id") else ()
    steps = _compartment_steps(resource_type)
    if not steps:
        return ()
    values = IndexValues(resource_type, resource.get("id"))
    for step in steps:
        try:
            step.run(resource, values)
        except (AttributeError, TypeError, ValueError, KeyError):  # malformed: indexing logs it
            continue
    base = settings.FHIR_BASE_URL + "/"
    local = []
    for row in values.references:
        if row.target_id is None and row.url and row.url.startswith(base):
            parsed = parse_reference(row.url[len(base) :])
            if parsed.type == "Patient" and parsed.id:
                local.append(row._replace(target_type="Patient", target_id=parsed.id))
    values.references.extend(local)
    return tuple(sorted(patient_compartments(resource, values)))


def _compartment_steps(resource_type: str) -> tuple:
    plan = plan_for(resource_type)  # cached by the search engine, rebuilt when parameters change
    cached = _steps.get(resource_type)
    if cached is not None and cached[0] is plan:
        return cached[1]
    params = set(registry.patient_compartment_params(resource_type))
    steps = tuple(step for step in plan if step.param.code in params)
    _steps[resource_type] = (plan, steps)
    return steps
