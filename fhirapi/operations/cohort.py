"""Patient/$cohort: a Group of the Patients a search finds, ready for `Group/[id]/$export`.

`POST [base]/Patient/$cohort?<Patient search parameters>`, optionally with a Parameters body
naming the Group (`name`); answers 201 with the Group and its Location. Creating it needs the
right to create Groups; finding the Patients, the right to read them (fhirapi/bulk/cohorts.py)."""

from fhirapi.bulk.cohorts import cohort_group_create
from fhirapi.errors import BadRequest
from fhirapi.operations.registry import (
    Invocation,
    Operation,
    OperationResult,
    parameters_value,
    register,
)


def cohort(invocation: Invocation) -> OperationResult:
    name = parameters_value(invocation.body, "name")
    if name is not None and not isinstance(name, str):
        raise BadRequest("the parameter name must be a string")
    outcome = cohort_group_create(
        repository=invocation.repository, params=invocation.params, name=name or ""
    )
    stored = outcome.stored
    headers = {
        "Location": f"{invocation.base_url}/{stored.versioned_url}",
        "ETag": stored.etag,
    }
    return OperationResult(stored.content, status=201, headers=headers)


register(
    Operation(
        name="cohort",
        definition_url="http://wintehr.example/fhir/OperationDefinition/cohort",
        system=False,
        type_level=True,
        instance=False,
        resource_types=frozenset({"Patient"}),
        affects_state=True,
        handler=cohort,
    )
)
