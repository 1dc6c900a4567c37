"""$validate: check a resource against the R4 structure and this server's reference rules,
without storing it. Answers 200 with an OperationOutcome listing every problem found."""

from fhirapi.errors import BadRequest, FhirError, Issue, operation_outcome
from fhirapi.operations.registry import (
    Invocation,
    Operation,
    OperationResult,
    parameters_value,
    register,
)


def validate(invocation: Invocation) -> OperationResult:
    body = invocation.body
    resource = parameters_value(body, "resource") if _is_parameters(body, invocation) else body
    if resource is None and invocation.resource_id:
        resource = invocation.repository.read(
            invocation.resource_type, invocation.resource_id
        ).content
    if not isinstance(resource, dict):
        raise BadRequest("$validate needs a resource in the body (or a Parameters with 'resource')")
    try:
        invocation.repository.check(resource, invocation.resource_type)
    except FhirError as exc:
        if exc.status == 404:
            raise
        return OperationResult(exc.outcome())
    ok = Issue("informational", "validation found no problems", severity="information")
    return OperationResult(operation_outcome([ok]))


def _is_parameters(body, invocation: Invocation) -> bool:
    return (
        isinstance(body, dict)
        and body.get("resourceType") == "Parameters"
        and invocation.resource_type != "Parameters"
    )


register(
    Operation(
        name="validate",
        definition_url="http://hl7.org/fhir/OperationDefinition/Resource-validate",
        system=False,
        type_level=True,
        instance=True,
        resource_types=None,
        affects_state=False,
        handler=validate,
    )
)
