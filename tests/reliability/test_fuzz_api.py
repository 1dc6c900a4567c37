"""Fuzzing the FHIR REST API from its own OpenAPI description (/fhir/openapi.json) with
schemathesis, in-process through the WSGI application and a bearer token: every operation gets
schema-valid (positive) and schema-breaking (negative) requests, and once more aimed at a Patient
that exists. Whatever comes in: no 5xx, no answer slower than a few seconds, every status and
media type the description documents, and every error an OperationOutcome in
application/fhir+json. Deterministic (derandomize); the examples per operation and mode come
from RELIABILITY_FUZZ_EXAMPLES (docs/reliability.md has the longer run)."""

import contextlib
import os
import time

import orjson
import pytest
import schemathesis
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fhirapi.services import FhirRepository
from tests.fhirapi.conftest import patient

DEFAULT_EXAMPLES = 12
EXAMPLES = int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
SLOWEST_ANSWER_SECONDS = 5.0
BUDGET_SECONDS = 60.0 * EXAMPLES / DEFAULT_EXAMPLES


def errors_are_operation_outcomes(ctx, response, case) -> None:
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/fhir+json"), f"error as {content_type!r}"
    body = orjson.loads(response.content)
    assert body.get("resourceType") == "OperationOutcome", f"error body {body!r:.200}"


def answered_quickly(ctx, response, case) -> None:
    assert response.elapsed < SLOWEST_ANSWER_SECONDS, f"took {response.elapsed:.1f} s"


def unless_minimal(check):
    """`Prefer: return=minimal` asks for no body (FHIR), which OpenAPI 3.0 cannot describe."""

    def checked(ctx, response, case) -> None:
        minimal = "return=minimal" in str((case.headers or {}).get("Prefer", ""))
        if not (minimal and response.status_code < 300 and not response.content):
            check(ctx, response, case)

    return checked


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    unless_minimal(content_type_conformance),
    unless_minimal(response_schema_conformance),
    errors_are_operation_outcomes,
    answered_quickly,
]


@pytest.fixture
def bearer(transactional_db) -> dict[str, str]:
    """A token of a superuser: the fuzzer reaches every interaction, AuditEvent included."""
    user = get_user_model().objects.create_user("fuzzer", is_superuser=True)
    return {"Authorization": f"Bearer {Token.objects.create(user=user).key}"}


@pytest.fixture
def fhir_schema(bearer):
    from wintehr.wsgi import application

    return schemathesis.openapi.from_wsgi("/fhir/openapi.json", application, headers=bearer)


def fuzz(operation, mode: GenerationMode, bearer: dict, **fixed) -> None:
    """EXAMPLES requests to one operation; `fixed` pins path parameters (an existing resource)."""

    @given(case=operation.as_strategy(mode, path_parameters=fixed or None))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: a failure is reported as found, with curl
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(headers=bearer, checks=CHECKS)

    with contextlib.suppress(Unsatisfiable):  # negative mode, an operation without inputs
        run()


def test_fuzzing_the_api_finds_no_server_errors_and_only_operation_outcomes(fhir_schema, bearer):
    started = time.monotonic()
    chart = FhirRepository().create(patient("Fuzzed")).stored.resource_id
    failures = []
    operations = [result.ok() for result in fhir_schema.get_all_operations()]
    for operation in operations:
        runs = [(GenerationMode.POSITIVE, {}), (GenerationMode.NEGATIVE, {})]
        if "{id}" in operation.path:
            runs.append((GenerationMode.POSITIVE, {"type": "Patient", "id": chart}))
        for mode, fixed in runs:
            try:
                fuzz(operation, mode, bearer, **fixed)
            except (Exception, BaseExceptionGroup) as exc:  # all failures shown, not the first
                failures.append(f"{operation.label} ({mode.value}, {fixed or 'any'}):\n{exc}")
    assert len(operations) >= 20
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < BUDGET_SECONDS


def test_the_description_is_served_to_authenticated_users_only(client, bearer):
    assert client.get("/fhir/openapi.json").status_code == 401
    document = client.get("/fhir/openapi.json", headers=bearer).json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ["/{type}", "/{type}/{id}", "/{type}/{id}/_history/{vid}", "/{type}/_search"]:
        assert path in paths
    assert {"get", "post", "put", "delete"} <= set(paths["/{type}"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/{type}/{id}"])
    assert "/{type}/$validate" in paths and "/{type}/{id}/_history" in paths
    types = document["components"]["parameters"]["type"]["schema"]["enum"]
    assert "Patient" in types and "Observation" in types and len(types) == 145
    outcome = {"$ref": "#/components/schemas/OperationOutcome"}
    for status, response in document["components"]["responses"].items():
        assert int(status) >= 400
        assert response["content"] == {"application/fhir+json": {"schema": outcome}}
