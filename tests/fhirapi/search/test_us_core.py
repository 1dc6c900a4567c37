"""Every search parameter and combination the US Core 3.1.0 server CapabilityStatement lists works:
for a resource in the store, a strict search built from that resource's own values finds it."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from fhirapi.search.extract import extract_index_values
from fhirapi.search.index_rows import DateRow, ReferenceRow, StringRow, TokenRow
from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord
from tests.fhirapi.conftest import FIXTURES

CAPABILITY = json.loads(
    (FIXTURES / "us-core" / "CapabilityStatement-us-core-server.json").read_text()
)
COMBINATION = (
    "http://hl7.org/fhir/StructureDefinition/capabilitystatement-search-parameter-combination"
)
OPEN_START = datetime.min.replace(tzinfo=UTC)


def us_core_queries() -> list[tuple[str, tuple[str, ...]]]:
    queries = []
    for resource in CAPABILITY["rest"][0]["resource"]:
        names = [param["name"] for param in resource.get("searchParam", [])]
        queries += [(resource["type"], (name,)) for name in names]
        for extension in resource.get("extension", []):
            if extension["url"] == COMBINATION:
                required = [
                    e["valueString"] for e in extension["extension"] if e["url"] == "required"
                ]
                queries.append((resource["type"], tuple(required)))
    return queries


def search_value(row) -> str | None:
    """A search value that the row's own resource must match."""
    if isinstance(row, TokenRow) and row.code:
        return f"{row.system}|{row.code}" if row.system else row.code
    if isinstance(row, StringRow) and row.normalized:
        return row.normalized[:3]
    if isinstance(row, DateRow) and row.low != OPEN_START:
        return f"ge{row.low.date().isoformat()}"
    if isinstance(row, ReferenceRow) and row.target_id:
        return f"{row.target_type}/{row.target_id}"
    return None


def params_for(content: dict, names: tuple[str, ...]) -> list[tuple[str, str]] | None:
    if names == ("_id",):
        return [("_id", content["id"])]
    values = extract_index_values(content)
    rows = [*values.tokens, *values.strings, *values.dates, *values.references]
    params = []
    for name in names:
        if name == "_id":
            params.append(("_id", content["id"]))
            continue
        value = next((v for row in rows if row.param == name and (v := search_value(row))), None)
        if value is None:
            return None
        params.append((name, value))
    return params


def types_the_data_lacks(subject: str) -> list[dict]:
    snomed = "http://snomed.info/sct"
    return [
        {"resourceType": "CareTeam", "status": "active", "subject": {"reference": subject}},
        {
            "resourceType": "Device",
            "patient": {"reference": subject},
            "type": {"coding": [{"system": snomed, "code": "706004007", "display": "Implant"}]},
        },
        {
            "resourceType": "Goal",
            "lifecycleStatus": "active",
            "subject": {"reference": subject},
            "description": {"text": "HbA1c below 7%"},
            "target": [{"dueDate": "2027-06-01"}],
        },
        {
            "resourceType": "Location",
            "name": "North Clinic",
            "address": {
                "line": ["1 Main St"],
                "city": "Springfield",
                "state": "MA",
                "postalCode": "01101",
            },
        },
        {
            "resourceType": "Encounter",
            "status": "finished",
            "subject": {"reference": subject},
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "identifier": [{"system": "urn:example:visits", "value": "V-1001"}],
        },
    ]


@pytest.fixture(scope="module")
def realistic_store(django_db_setup, django_db_blocker):
    """A Synthea patient and a few patients of the demo population (which has the types Synthea's
    fixture lacks: Goal, Location, DocumentReference, PractitionerRole, ...)."""
    bundles = sorted((FIXTURES / "synthea").glob("*.json"))
    with django_db_blocker.unblock():
        repository = FhirRepository(lenient_references=True)
        for path in bundles:
            repository.transaction(json.loads(path.read_text()), base_url="http://test/fhir")
        call_command("load_demo", patients=4, stdout=io.StringIO(), stderr=io.StringIO())
        patient = ResourceRecord.objects.filter(resource_type="Patient").first().resource_id
        for resource in types_the_data_lacks(f"Patient/{patient}"):
            repository.create(resource)
        yield
        ResourceRecord.objects.all().delete()


@pytest.mark.django_db
@pytest.mark.parametrize(("resource_type", "names"), us_core_queries(), ids=lambda v: str(v))
def test_us_core_search_finds_the_resource_it_was_built_from(realistic_store, resource_type, names):
    candidates = ResourceRecord.objects.filter(resource_type=resource_type, deleted=False)[:50]
    queries = [(r, params_for(r.content, names)) for r in candidates]
    usable = [(record, params) for record, params in queries if params]
    if not usable:
        pytest.skip(f"the test data holds no {resource_type} with values for {names}")
    record, params = usable[0]
    bundle = FhirRepository().search_bundle(
        resource_type, [*params, ("_count", "1000")], base_url="http://test/fhir", strict=True
    )
    found = {e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"}
    assert record.resource_id in found, (params, len(found))
