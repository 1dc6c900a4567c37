import logging
import time
from decimal import Decimal

import pytest

from fhirapi.search.extract import extract_index_values, plan_for
from fhirapi.search.index_rows import CompositeRow, QuantityRow, ReferenceRow, TokenRow
from fhirapi.search.registry import register_custom, unregister_custom
from tests.fhirapi.search.sample_data import SYNTHEA_BUNDLES, example_resources, synthea_resources

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def blood_pressure(subject: str = "Patient/p1") -> dict:
    def component(code: str, value: float) -> dict:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"},
        }

    return {
        "resourceType": "Observation",
        "id": "bp",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9", "display": "Blood pressure"}]},
        "subject": {"reference": subject},
        "effectiveDateTime": "2020-03-05T10:00:00Z",
        "component": [component("8480-6", 120), component("8462-4", 80)],
    }


def codes(rows, param: str) -> set:
    return {(row.system, row.code) for row in rows if row.param == param}


def test_observation_tokens_dates_and_references():
    values = extract_index_values(blood_pressure())
    assert codes(values.tokens, "code") == {(LOINC, "85354-9")}
    assert codes(values.tokens, "combo-code") == {
        (LOINC, c) for c in ("85354-9", "8480-6", "8462-4")
    }
    assert codes(values.tokens, "status") == {(None, "final")}
    assert codes(values.tokens, "_id") == {(None, "bp")}
    assert [row.param for row in values.dates] == ["date"]
    patient = ReferenceRow("patient", "Patient", "p1", None)
    assert patient in values.references
    assert ReferenceRow("subject", "Patient", "p1", None) in values.references


def test_component_composites_pair_each_component_code_with_its_value():
    values = extract_index_values(blood_pressure())
    pairs = {
        (row.parts[0].code, row.parts[1].value)
        for row in values.composites
        if row.param == "component-code-value-quantity"
    }
    assert pairs == {("8480-6", Decimal(120)), ("8462-4", Decimal(80))}
    assert not [row for row in values.composites if row.param == "code-value-quantity"]


def test_observation_level_composite():
    observation = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": LOINC, "code": "8867-4"}]},
        "valueQuantity": {"value": 72, "system": UCUM, "code": "/min"},
    }
    [row] = [
        r for r in extract_index_values(observation).composites if r.param == "code-value-quantity"
    ]
    assert isinstance(row, CompositeRow)
    token, quantity = row.parts
    assert isinstance(token, TokenRow) and (token.param, token.code) == ("code", "8867-4")
    assert isinstance(quantity, QuantityRow) and (quantity.param, quantity.value) == (
        "value-quantity",
        Decimal(72),
    )


def test_params_with_values_tells_which_are_missing():
    present = extract_index_values(blood_pressure()).params_with_values()
    assert {"code", "component-code-value-quantity", "date", "subject"} <= present
    assert "value-quantity" not in present and "performer" not in present


def test_patient_compartment_of_an_observation():
    assert extract_index_values(blood_pressure("Patient/p1")).patient_compartments == {"p1"}
    assert extract_index_values(blood_pressure("Group/g1")).patient_compartments == set()
    urn = "urn:uuid:7e3a2b4c-8b5e-4f7a-9c1d-2e3f4a5b6c7d"
    assert extract_index_values(blood_pressure(urn)).patient_compartments == set()


def test_a_patient_is_in_its_own_compartment_and_those_it_links_to():
    patient = {
        "resourceType": "Patient",
        "id": "p2",
        "link": [{"other": {"reference": "Patient/p1"}, "type": "seealso"}],
    }
    assert extract_index_values(patient).patient_compartments == {"p1", "p2"}


def test_rows_are_not_repeated_when_a_union_finds_the_same_value_twice():
    observation = blood_pressure()
    observation["component"][0]["code"] = observation["code"]  # 85354-9 twice, and 8462-4
    rows = [row for row in extract_index_values(observation).tokens if row.param == "combo-code"]
    assert sorted(row.code for row in rows) == ["8462-4", "85354-9"]


def test_custom_parameter_is_indexed_once_registered():
    url = "http://example.org/SearchParameter/birthsex"
    register_custom(
        {
            "resourceType": "SearchParameter",
            "url": url,
            "code": "birthsex",
            "base": ["Patient"],
            "type": "token",
            "expression": "Patient.extension('http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex').value",
        }
    )
    try:
        patient = synthea_resources(SYNTHEA_BUNDLES[0])[0]
        assert patient["resourceType"] == "Patient"
        assert codes(extract_index_values(patient).tokens, "birthsex") == {(None, "M")}
    finally:
        unregister_custom(url)
    assert codes(extract_index_values(patient).tokens, "birthsex") == set()


def test_malformed_content_skips_that_parameter_only(caplog):
    observation = {**blood_pressure(), "meta": "not an object"}
    with caplog.at_level(logging.WARNING):
        values = extract_index_values(observation)
    assert codes(values.tokens, "code") == {(LOINC, "85354-9")}
    assert "_lastUpdated" in caplog.text


@pytest.mark.parametrize("bundle", SYNTHEA_BUNDLES, ids=lambda path: path.name.split("_")[0])
def test_synthea_bundle_indexes_without_warnings(bundle, caplog):
    with caplog.at_level(logging.WARNING):
        indexed = [extract_index_values(resource) for resource in synthea_resources(bundle)]
    assert caplog.text == ""
    patient_id = next(v.resource_id for v in indexed if v.resource_type == "Patient")
    clinical = [v for v in indexed if v.resource_type in ("Observation", "Encounter", "Claim")]
    assert clinical and all(v.patient_compartments == {patient_id} for v in clinical)


def test_examples_index_without_warnings(caplog):
    with caplog.at_level(logging.WARNING):
        indexed = [extract_index_values(resource) for resource in example_resources()]
    assert caplog.text == ""
    assert sum(len(v.composites) for v in indexed) > 0
    assert sum(len(v.numbers) for v in indexed) > 0


def test_plan_is_reused_between_resources():
    assert plan_for("Observation") is plan_for("Observation")


def test_synthea_extraction_stays_well_under_a_millisecond_per_resource():
    """A coarse guard (the bench measures properly): a slide back to fhirpathpy would be ~10x."""
    resources = synthea_resources(SYNTHEA_BUNDLES[0])
    for resource in resources:
        extract_index_values(resource)
    start = time.perf_counter()
    for resource in resources:
        extract_index_values(resource)
    assert (time.perf_counter() - start) / len(resources) < 0.001
