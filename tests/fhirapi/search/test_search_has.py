"""Reverse chaining: `_has:Type:reference:parameter=value`, nested and combined with chains."""

import pytest

from fhirapi.errors import InvalidSearch
from fhirapi.services import FhirRepository
from tests.fhirapi.search.conftest import ids

pytestmark = pytest.mark.django_db


def test_has_finds_the_resources_referred_to_by_matching_ones(search):
    assert ids(search("Patient", "_has:Observation:subject:code=85354-9")) >= {"ana"}
    assert "bob" not in ids(search("Patient", "_has:Observation:subject:code=85354-9"))
    assert ids(search("Patient", "_id=ana,bob&_has:Observation:subject:_id=range-bob")) == {"bob"}


def test_has_values_are_ored_and_repeats_anded(search):
    either = "_id=ana,bob&_has:Observation:subject:_id=range-bob,bp-ana"
    assert ids(search("Patient", either)) == {"ana", "bob"}
    both = "_id=ana,bob&_has:Observation:subject:_id=range-bob&_has:Observation:subject:_id=bp-ana"
    assert ids(search("Patient", both)) == set()


def test_has_takes_modifiers_and_chains_inside(search):
    query = "_id=ana,bob&_has:Observation:subject:_id:not=bp-ana"
    assert "bob" in ids(search("Patient", query))
    query = "_id=ana,bob&_has:Observation:subject:subject:Patient.name=Smithers"
    assert ids(search("Patient", query)) == {"bob"}


def test_nested_has(search):
    repository = FhirRepository(lenient_references=True)
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": "Patient/bob"},
    }
    repository.create(observation, resource_id="has-obs")
    report = {
        "resourceType": "DiagnosticReport",
        "status": "final",
        "code": {"text": "panel"},
        "conclusion": "nested",
        "result": [{"reference": "Observation/has-obs"}],
    }
    repository.create(report, resource_id="has-report")
    query = "_has:Observation:subject:_has:DiagnosticReport:result:_id=has-report"
    assert ids(search("Patient", query)) == {"bob"}


def test_deleted_sources_do_not_count(search):
    repository = FhirRepository(lenient_references=True)
    repository.delete("Observation", "range-bob")
    assert ids(search("Patient", "_id=bob&_has:Observation:subject:_id=range-bob")) == set()


def test_malformed_has_is_refused(search):
    for query in (
        "_has:Observation:subject=1",
        "_has:Nope:subject:code=1",
        "_has:Observation:code:code=1",
    ):
        with pytest.raises(InvalidSearch):
            search("Patient", query)
    bundle = search("Patient", "_has:Observation:subject:nope=1")
    assert bundle["entry"][-1]["search"]["mode"] == "outcome"
