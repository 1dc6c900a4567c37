"""Patient/[id]/$everything: the Patient and every resource in its compartment, as a searchset
Bundle, paged. Parameters: `_since` (changed at or after), `_type` (these types only), `_count`;
the paging links are those of the compartment search it runs (`Patient/[id]/*`). Resources the
compartment refers to but does not contain (Practitioner, Organization, Medication) are not
added."""

from fhirapi.errors import BadRequest
from fhirapi.operations.registry import Invocation, Operation, OperationResult, register
from fhirapi.rest.params import parse_instant
from fhirapi.store.writes import format_instant

PASSED_ON = ("_type", "_count", "_page")


def everything(invocation: Invocation) -> OperationResult:
    if invocation.resource_id is None:
        raise BadRequest("$everything needs a Patient: Patient/[id]/$everything")
    repository = invocation.repository
    repository.read("Patient", invocation.resource_id)  # 404/410 when there is no such Patient
    params = [(k, v) for k, v in invocation.params if k in PASSED_ON]
    since = parse_instant("_since", dict(invocation.params).get("_since"))
    if since is not None:
        params.append(("_lastUpdated", f"ge{format_instant(since)}"))
    bundle = repository.compartment_search(
        invocation.resource_id, None, params, base_url=invocation.base_url
    )
    return OperationResult(bundle)


register(
    Operation(
        name="everything",
        definition_url="http://hl7.org/fhir/OperationDefinition/Patient-everything",
        system=False,
        type_level=False,
        instance=True,
        resource_types=frozenset({"Patient"}),
        affects_state=False,
        handler=everything,
    )
)
