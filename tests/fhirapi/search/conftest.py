"""Search tests share one data set: the two Synthea bundles of tests/fixtures/search
(through the transaction path, so urn:uuid references become `Type/id`), the official examples of
r4-examples.ndjson, and a few hand-written resources whose values the tests name. It is committed
once (each test runs in a transaction rolled back after it) and removed when the package ends."""

import copy
import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.conf import settings
from django.db import connection, transaction

from fhirapi.search.engine import search_bundle
from fhirapi.services import FhirRepository
from fhirapi.store.models import ResourceRecord
from fhirapi.store.writes import records_insert_many
from tests.fhirapi.search.sample_data import SYNTHEA_BUNDLES, example_resources

BASE = "http://testserver/fhir"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def handmade() -> list[dict[str, Any]]:
    """Resources with the edge cases the tests check by name."""
    return [
        {
            "resourceType": "Patient",
            "id": "ana",
            "name": [{"family": "Ångström", "given": ["Ana", "María"]}],
            "gender": "female",
            "birthDate": "1950-06",
            "identifier": [{"system": "urn:mrn", "value": "A-1"}],
            "telecom": [{"system": "phone", "value": "555-0100"}],
            "active": True,
            "meta": {"tag": [{"system": "urn:tags", "code": "vip"}], "profile": ["urn:p:a"]},
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml">Ana the astronomer</div>',
            },
        },
        {
            "resourceType": "Patient",
            "id": "bob",
            "name": [{"family": "Smithers", "given": ["Bob"]}],
            "gender": "male",
            "birthDate": "1949-12-31",
            "active": False,
            "identifier": [
                {
                    "system": "urn:mrn",
                    "value": "B-2",
                    "type": {"coding": [{"system": "urn:types", "code": "MR"}], "text": "record"},
                }
            ],
        },
        {
            "resourceType": "Observation",
            "id": "bp-ana",
            "status": "final",
            "code": {
                "coding": [{"system": LOINC, "code": "85354-9", "display": "Blood pressure panel"}]
            },
            "subject": {"reference": "Patient/ana"},
            "effectivePeriod": {
                "start": "2021-03-05T10:00:00+01:00",
                "end": "2021-03-05T11:00:00+01:00",
            },
            "component": [
                {
                    "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                    "valueQuantity": {
                        "value": 141,
                        "unit": "mmHg",
                        "system": UCUM,
                        "code": "mm[Hg]",
                    },
                },
                {
                    "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                    "valueQuantity": {
                        "value": 90,
                        "unit": "mmHg",
                        "system": UCUM,
                        "code": "mm[Hg]",
                    },
                },
            ],
        },
        {
            "resourceType": "Observation",
            "id": "weight-bob",
            "status": "amended",
            "code": {"coding": [{"system": LOINC, "code": "29463-7"}], "text": "Body weight"},
            "subject": {"reference": f"{settings.FHIR_BASE_URL}/Patient/bob"},
            "effectiveDateTime": "2021-03",
            "valueQuantity": {"value": 72.50, "unit": "kg", "system": UCUM, "code": "kg"},
        },
        {
            "resourceType": "Observation",
            "id": "range-bob",
            "status": "final",
            "code": {"coding": [{"system": "urn:local", "code": "r"}]},
            "subject": {"reference": "Patient/bob"},
            "valueRange": {"low": {"value": 5, "system": UCUM, "code": "mg"}},
        },
        {
            "resourceType": "Observation",
            "id": "elsewhere",
            "status": "final",
            "code": {"coding": [{"system": "urn:local", "code": "e"}]},
            "subject": {"reference": "http://elsewhere.org/fhir/Patient/zed"},
            "performer": [{"identifier": {"system": "urn:mrn", "value": "A-1"}}],
        },
        {
            "resourceType": "RiskAssessment",
            "id": "ra-decimal",
            "status": "final",
            "subject": {"reference": "Patient/ana"},
            "prediction": [{"probabilityDecimal": 0.7}],
        },
        {
            "resourceType": "RiskAssessment",
            "id": "ra-range",
            "status": "final",
            "subject": {"reference": "Patient/ana"},
            "prediction": [{"probabilityRange": {"low": {"value": 0.2}, "high": {"value": 0.5}}}],
        },
        {
            "resourceType": "RiskAssessment",
            "id": "ra-open",
            "status": "final",
            "subject": {"reference": "Patient/bob"},
            "prediction": [{"probabilityRange": {"low": {"value": 0.9}}}],
        },
        {
            "resourceType": "QuestionnaireResponse",
            "id": "qr1",
            "status": "completed",
            "questionnaire": "http://example.org/Questionnaire/q1|2.0",
            "subject": {"reference": "Patient/ana"},
        },
        {
            "resourceType": "ValueSet",
            "id": "vs1",
            "status": "active",
            "url": "http://acme.org/fhir/ValueSet/123",
        },
        {
            "resourceType": "ValueSet",
            "id": "vs2",
            "status": "active",
            "url": "http://acme.org/fhir/ValueSet/123/child",
        },
    ]


def load_search_data() -> None:
    repository = FhirRepository(lenient_references=True)
    for path in SYNTHEA_BUNDLES:
        repository.transaction(json.loads(path.read_text()), base_url=BASE)
    resources = [copy.deepcopy(r) for r in example_resources() if r.get("id")]
    seen: set[tuple[str, str]] = set()
    unique = []
    for resource in [*resources, *handmade()]:
        key = (resource["resourceType"], resource["id"])
        if key not in seen:
            seen.add(key)
            unique.append((resource, resource["id"]))
    with transaction.atomic():  # the store directly: some examples are server-written types
        records_insert_many(unique)


@pytest.fixture(scope="package")
def search_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_search_data()
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {ResourceRecord._meta.db_table} CASCADE")


@pytest.fixture
def search(search_data, db):
    """Run a search in-process; returns the Bundle."""

    def run(resource_type: str | None, query: str = "", **options) -> dict:
        params = parse_qsl(query, keep_blank_values=True)
        if not any(key == "_count" for key, _ in params):
            params.append(("_count", "1000"))  # every match on one page
        return search_bundle(resource_type, params, base_url=BASE, **options)

    return run


def ids(bundle: dict) -> set[str]:
    return {e["resource"]["id"] for e in bundle.get("entry", ()) if e["search"]["mode"] == "match"}
