"""The compiled accessors against fhirpathpy (the correctness guard of the compiler), and the
shapes the compiler must handle itself."""

import copy
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import fhirpathpy
import pytest
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from fhirapi.search import registry
from fhirapi.search.fhirpath_compile import compile_expression
from fhirapi.search.fhirpath_fallback import OPTIONS, fhirpathpy_text
from fhirapi.search.registry import ParamType
from tests.fhirapi.search.sample_data import (
    SHARED_EXAMPLES,
    SYNTHEA_BUNDLES,
    example_resources,
    synthea_resources,
    with_entries,
)

REFERENCE_OPTIONS = {"userInvocationTable": OPTIONS["userInvocationTable"]}


@cache
def reference_evaluator(expression: str):
    text = fhirpathpy_text(expression)
    return fhirpathpy.compile(text, model=models["r4"], options=REFERENCE_OPTIONS)


def canonical(value: Any) -> Any:
    """JSON-comparable form: fhirpathpy returns numbers as Decimal, the JSON has floats."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return str(Decimal(str(value)).normalize())
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def as_set(values: list[Any]) -> set[str]:
    return {json.dumps(canonical(v), sort_keys=True, default=str) for v in values}


def differences(resource: dict[str, Any]) -> list[str]:
    """Every (parameter, component) whose compiled values differ from fhirpathpy's."""
    resource_type = resource["resourceType"]
    reference_copy = copy.deepcopy(resource)
    found = []
    for code, param in registry.parameters_for(resource_type).items():
        if param.expression is None:
            continue
        compiled = compile_expression(param.expression, resource_type).evaluate(resource)
        expected = reference_evaluator(param.expression)(reference_copy, {"resource": resource})
        if as_set([value for value, _ in compiled]) != as_set(expected):
            found.append(f"{resource_type}.{code} on {resource.get('id')}")
        if param.type == ParamType.COMPOSITE:
            found += component_differences(resource, param, compiled)
    return found


def component_differences(resource: dict, param: registry.SearchParam, elements: list) -> list:
    found = []
    for element, element_type in elements:
        for component in param.components:
            compiled = compile_expression(
                component.expression, resource["resourceType"], element_type
            )
            got = compiled.evaluate(resource, element)
            focus = ResourceNode.create_node(copy.deepcopy(element), element_type)
            expected = reference_evaluator(component.expression)(focus, {"resource": resource})
            if as_set([value for value, _ in got]) != as_set(expected):
                found.append(f"{param.code} component {component.expression} on {element_type}")
    return found


@pytest.mark.parametrize("bundle", SYNTHEA_BUNDLES, ids=lambda path: path.name.split("_")[0])
def test_compiled_values_match_fhirpathpy_on_synthea(bundle: Path):
    resources = synthea_resources(bundle)
    assert [d for resource in resources for d in differences(resource)] == []


def test_compiled_values_match_fhirpathpy_on_r4_examples():
    resources = example_resources()
    assert len({r["resourceType"] for r in resources}) > 50
    assert [d for resource in resources for d in differences(resource)] == []


@pytest.mark.skipif(not SHARED_EXAMPLES.is_dir(), reason="needs /work/shared/data")
def test_compiled_values_match_fhirpathpy_on_every_shared_example():
    paths = sorted(SHARED_EXAMPLES.glob("*.json"))
    resources = [r for path in paths for r in with_entries(json.loads(path.read_text()))]
    assert [d for resource in resources for d in differences(resource)] == []


def test_no_base_parameter_falls_back_to_fhirpathpy():
    fallbacks = []
    for param in registry.all_parameters():
        if param.expression is None or param.custom:
            continue
        compiled = compile_expression(param.expression, param.resource_type)
        for component in param.components:
            for element_type in compiled.result_types:
                part = compile_expression(component.expression, param.resource_type, element_type)
                fallbacks += [] if part.compiled else [f"{param.code} {component.expression}"]
        if not compiled.compiled:
            fallbacks.append(f"{param.resource_type}.{param.code}: {compiled.detail}")
    assert fallbacks == []


def test_result_types_list_what_an_expression_yields():
    compiled = compile_expression("Observation | Observation.component", "Observation")
    assert compiled.result_types == ("Observation", "Observation.component")


def evaluate(expression: str, resource: dict[str, Any], resource_type: str | None = None):
    compiled = compile_expression(expression, resource_type or resource["resourceType"])
    assert compiled.compiled, compiled.detail
    return compiled.evaluate(resource)


def test_choice_element_reads_whichever_type_is_present():
    observation = {"resourceType": "Observation", "valueString": "high"}
    assert evaluate("Observation.value", observation) == [("high", "string")]


def test_as_filters_each_item_of_a_collection():
    observation = {
        "resourceType": "Observation",
        "component": [
            {"valueQuantity": {"value": 1}},
            {"valueString": "x"},
            {"valueQuantity": {"value": 2}},
        ],
    }
    found = evaluate("(Observation.component.value as Quantity)", observation)
    assert found == [({"value": 1}, "Quantity"), ({"value": 2}, "Quantity")]


def test_as_with_a_system_type_name_means_the_fhir_primitive():
    observation = {"resourceType": "Observation", "valueDateTime": "2020-01-01"}
    assert evaluate("Observation.value.as(DateTime)", observation) == [("2020-01-01", "dateTime")]


def test_as_age_keeps_subtypes_of_quantity_only():
    condition = {"resourceType": "Condition", "onsetAge": {"value": 4}, "onsetString": "young"}
    assert evaluate("Condition.onset.as(Quantity)", condition) == [({"value": 4}, "Age")]


def test_where_resolve_is_checks_the_reference_target_type():
    encounter = {
        "resourceType": "Appointment",
        "participant": [
            {"actor": {"reference": "Patient/1"}},
            {"actor": {"reference": "Practitioner/2"}},
            {"actor": {"reference": "http://other.org/fhir/Patient/3/_history/1"}},
            {"actor": {"reference": "urn:uuid:5b6f6bd0-4c3a-4e54-8a2b-7d0e4f8e9a11"}},
            {"actor": {"identifier": {"value": "x"}, "type": "Patient"}},
        ],
    }
    found = evaluate("Appointment.participant.actor.where(resolve() is Patient)", encounter)
    assert [value for value, _ in found] == [
        {"reference": "Patient/1"},
        {"reference": "http://other.org/fhir/Patient/3/_history/1"},
        {"identifier": {"value": "x"}, "type": "Patient"},
    ]


def test_where_compares_a_child_element_with_a_string():
    patient = {
        "resourceType": "Patient",
        "telecom": [{"system": "phone", "value": "1"}, {"system": "email", "value": "a@b"}],
    }
    found = evaluate("Patient.telecom.where(system='email')", patient)
    assert found == [({"system": "email", "value": "a@b"}, "ContactPoint")]


def test_extension_by_url_then_value():
    patient = {
        "resourceType": "Patient",
        "extension": [
            {"url": "http://x/birthsex", "valueCode": "F"},
            {"url": "http://x/other", "valueString": "no"},
        ],
    }
    assert evaluate("Patient.extension('http://x/birthsex').value", patient) == [("F", "code")]


def test_nested_extension_where_url_like_us_core_race():
    race = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
    coding = {"system": "urn:oid:2.16.840.1.113883.6.238", "code": "2106-3"}
    patient = {
        "resourceType": "Patient",
        "extension": [{"url": race, "extension": [{"url": "ombCategory", "valueCoding": coding}]}],
    }
    expression = f"Patient.extension.where(url = '{race}').extension.value.code"
    assert evaluate(expression, patient) == [("2106-3", "code")]


def test_first_and_indexer_take_one_item():
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Composition", "id": "c"}},
            {"resource": {"id": "x"}},
        ],
    }
    assert evaluate("Bundle.entry[0].resource", bundle) == [
        ({"resourceType": "Composition", "id": "c"}, "Resource")
    ]
    assert evaluate("Bundle.entry.first().resource.id", bundle) == [("c", "System.String")]


def test_boolean_expression_gives_one_boolean():
    expression = "Patient.deceased.exists() and Patient.deceased != false"
    assert evaluate(expression, {"resourceType": "Patient"}) == [(False, "boolean")]
    died = {"resourceType": "Patient", "deceasedDateTime": "2020-01-01"}
    assert evaluate(expression, died) == [(True, "boolean")]
    alive = {"resourceType": "Patient", "deceasedBoolean": False}
    assert evaluate(expression, alive) == [(False, "boolean")]


def test_percent_resource_reaches_the_root_from_a_component_focus():
    sequence = {"resourceType": "MolecularSequence", "referenceSeq": {"chromosome": {"text": "1"}}}
    compiled = compile_expression(
        "%resource.referenceSeq.chromosome", "MolecularSequence", "MolecularSequence.variant"
    )
    assert compiled.compiled
    assert compiled.evaluate(sequence, {"start": 1}) == [({"text": "1"}, "CodeableConcept")]


def test_relative_expression_is_evaluated_on_the_resource():
    plan = {"resourceType": "InsurancePlan", "name": "Gold", "alias": ["Au"]}
    assert [value for value, _ in evaluate("name | alias", plan)] == ["Gold", "Au"]


def test_unknown_function_falls_back_to_fhirpathpy():
    compiled = compile_expression("Patient.name.given.count()", "Patient")
    assert not compiled.compiled
    patient = {"resourceType": "Patient", "name": [{"given": ["A", "B"]}]}
    assert compiled.evaluate(patient) == [(2, "integer")]


def test_fallback_gets_resolve_too():
    compiled = compile_expression("Observation.subject.resolve().id.count()", "Observation")
    assert not compiled.compiled
    assert compiled.evaluate(
        {"resourceType": "Observation", "subject": {"reference": "Patient/p"}}
    ) == [(1, "integer")]
