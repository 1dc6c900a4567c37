"""Token `:in` / `:not-in` (R4 value sets and ValueSet resources in the store) and `:above` /
`:below` along the hierarchies of R4 code systems."""

import pytest

from fhirapi.errors import InvalidSearch
from fhirapi.services import FhirRepository
from tests.fhirapi.search.conftest import ids

pytestmark = pytest.mark.django_db

GENDERS = "http://hl7.org/fhir/ValueSet/administrative-gender"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def test_in_an_r4_value_set(search):
    assert {"ana", "bob"} <= ids(search("Patient", f"gender:in={GENDERS}"))
    assert not {"ana", "bob"} & ids(search("Patient", f"gender:not-in={GENDERS}"))


def test_in_a_stored_value_set(search):
    repository = FhirRepository(lenient_references=True)
    value_set = {
        "resourceType": "ValueSet",
        "url": "urn:test:vs:bp",
        "status": "active",
        "compose": {"include": [{"system": "http://loinc.org", "concept": [{"code": "85354-9"}]}]},
    }
    repository.create(value_set, resource_id="vs-bp")
    expanded = {
        "resourceType": "ValueSet",
        "url": "urn:test:vs:female",
        "status": "active",
        "expansion": {
            "timestamp": "2024-01-01T00:00:00Z",
            "contains": [{"system": "http://hl7.org/fhir/administrative-gender", "code": "female"}],
        },
    }
    repository.create(expanded, resource_id="vs-female")
    assert "bp-ana" in ids(search("Observation", "code:in=urn:test:vs:bp"))
    assert "bp-ana" not in ids(search("Observation", "code:not-in=urn:test:vs:bp"))
    found = ids(search("Patient", "_id=ana,bob&gender:in=urn:test:vs:female"))
    assert found == {"ana"}


def test_an_unknown_value_set_is_refused(search):
    with pytest.raises(InvalidSearch):
        search("Patient", "gender:in=urn:nowhere")


def test_below_and_above_follow_the_hierarchy(search):
    encounters = ids(search("Encounter", f"class={ACT_CODE}|AMB"))
    assert encounters
    assert encounters <= ids(search("Encounter", f"class:below={ACT_CODE}|_ActEncounterCode"))
    assert encounters <= ids(search("Encounter", f"class:above={ACT_CODE}|AMB"))
    assert not encounters & ids(search("Encounter", f"class:below={ACT_CODE}|EMER"))
    assert not encounters & ids(search("Encounter", f"class:above={ACT_CODE}|_ActEncounterCode"))
