"""validate_resource checks required bindings and reference target types: codes outside their
value set and references to a type the element does not allow fail where they are."""

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fhirapi.errors import InvalidResource
from fhirapi.store.validation import STRUCTURE_FILE, structure, validate_resource

SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NO_SHARED = "needs /work/shared/data beside the repository"
PATIENT_ID = "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"
MEDICATION_ID = "urn:uuid:0f9a4d1c-7e3b-4f8e-9c2a-5b6d7e8f9a0b"


def issues_of(resource: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidResource) as caught:
        validate_resource(resource)
    return [(issue.code, issue.expression[0]) for issue in caught.value.issues]


def observation(**elements: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, **elements}


def condition(clinical_status: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/1"},
        "clinicalStatus": clinical_status,
    }


def clinical(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def builder() -> ModuleType:
    path = STRUCTURE_FILE.with_name("validation-build-r4-structure.py")
    spec = importlib.util.spec_from_file_location("validation_build", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- required bindings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ({"resourceType": "Patient", "gender": "sometimes"}, ("code-invalid", "Patient.gender")),
        (observation(status="done"), ("code-invalid", "Observation.status")),
        (
            {"resourceType": "Patient", "name": [{"family": "Li", "use": "nickname-ish"}]},
            ("code-invalid", "Patient.name[0].use"),
        ),
        (
            {"resourceType": "Patient", "telecom": [{"system": "pigeon", "value": "1"}]},
            ("code-invalid", "Patient.telecom[0].system"),
        ),
        (
            {"resourceType": "Patient", "identifier": [{"use": "primary", "value": "1"}]},
            ("code-invalid", "Patient.identifier[0].use"),
        ),
        (
            {"resourceType": "Patient", "address": [{"use": "holiday", "city": "Oslo"}]},
            ("code-invalid", "Patient.address[0].use"),
        ),
        (
            {"resourceType": "Patient", "text": {"status": "done", "div": "<div>x</div>"}},
            ("code-invalid", "Patient.text.status"),
        ),
        (
            observation(valueQuantity={"value": 1, "comparator": "~"}),
            ("code-invalid", "Observation.valueQuantity.comparator"),
        ),
        (
            {
                "resourceType": "MedicationRequest",
                "status": "active",
                "intent": "order",
                "medicationCodeableConcept": {"text": "x"},
                "subject": {"reference": "Patient/1"},
                "dosageInstruction": [
                    {"timing": {"repeat": {"dayOfWeek": ["mon", "funday"], "periodUnit": "d"}}}
                ],
            },
            ("code-invalid", "MedicationRequest.dosageInstruction[0].timing.repeat.dayOfWeek[1]"),
        ),
        (
            {"resourceType": "Patient", "contained": [observation(status="done")]},
            ("code-invalid", "Patient.contained[0].status"),
        ),
    ],
)
def test_a_code_outside_its_required_value_set_is_rejected_where_it_is(resource, expected):
    assert issues_of(resource) == [expected]


def test_the_diagnostic_names_the_code_and_the_value_set():
    with pytest.raises(InvalidResource) as caught:
        validate_resource({"resourceType": "Patient", "gender": "sometimes"})
    diagnostics = caught.value.issues[0].diagnostics
    assert "'sometimes'" in diagnostics
    assert "http://hl7.org/fhir/ValueSet/administrative-gender" in diagnostics


def test_codes_in_their_value_sets_are_accepted_nested_concepts_included():
    validate_resource(
        {
            "resourceType": "Patient",
            "gender": "unknown",
            "name": [{"family": "Li", "use": "maiden"}],  # a child of "old" in name-use
            "telecom": [{"system": "email", "use": "work", "value": "a@b.c"}],
            "address": [{"use": "home", "type": "both", "city": "Oslo"}],
            "identifier": [{"use": "official", "value": "1"}],
        }
    )
    validate_resource(observation(status="corrected"))  # a child of "amended"
    validate_resource(observation(valueQuantity={"value": 1, "comparator": ">="}))


def test_a_code_from_an_explicit_list_of_an_external_system_is_checked():
    """units-of-time lists its UCUM codes, so it is checked without UCUM itself."""
    timing = {"repeat": {"period": 1, "periodUnit": "wk", "when": ["HS", "MORN"]}}
    validate_resource(observation(effectiveTiming=timing))
    bad = {"repeat": {"period": 1, "periodUnit": "fortnight"}}
    assert issues_of(observation(effectiveTiming=bad)) == [
        ("code-invalid", "Observation.effectiveTiming.repeat.periodUnit")
    ]


def test_bindings_that_cannot_be_expanded_are_not_checked():
    # mimetypes: all of BCP 13; currencies: all of ISO 4217
    validate_resource({"resourceType": "Binary", "contentType": "application/x-made-up"})
    money = {"url": "http://example.org/x", "valueMoney": {"value": 1, "currency": "XXZ"}}
    validate_resource({"resourceType": "Basic", "code": {"text": "x"}, "extension": [money]})


@pytest.mark.parametrize(
    "clinical_status",
    [
        clinical(CONDITION_CLINICAL, "active"),
        clinical(CONDITION_CLINICAL, "remission"),  # a child of "inactive"
        {
            "coding": [
                {"system": "http://snomed.info/sct", "code": "55561003"},
                {"system": CONDITION_CLINICAL, "code": "active"},
            ]
        },
    ],
)
def test_a_codeable_concept_with_a_coding_from_its_value_set_is_accepted(clinical_status):
    validate_resource(condition(clinical_status))


@pytest.mark.parametrize(
    "clinical_status",
    [
        clinical(CONDITION_CLINICAL, "dormant"),
        clinical("http://snomed.info/sct", "active"),  # the right code from the wrong system
        {"coding": [{"code": "active"}]},
        {"text": "active"},
    ],
)
def test_a_codeable_concept_without_a_coding_from_its_value_set_is_rejected(clinical_status):
    assert issues_of(condition(clinical_status)) == [("code-invalid", "Condition.clinicalStatus")]


def test_a_code_that_is_malformed_is_one_issue_not_two():
    assert issues_of({"resourceType": "Patient", "gender": " male"}) == [
        ("value", "Patient.gender")
    ]


# --- reference target types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        "Medication/1",
        "Medication/1/_history/2",
        "http://example.org/fhir/Medication/1",
        "https://example.org/fhir/Medication/1/_history/2",
        "Medication?code=http://www.nlm.nih.gov/research/umls/rxnorm|1049502",
    ],
)
def test_a_reference_to_a_type_the_element_does_not_allow_is_rejected(reference):
    assert issues_of(observation(subject={"reference": reference})) == [
        ("value", "Observation.subject.reference")
    ]


def test_the_diagnostic_names_the_type_and_the_allowed_ones():
    with pytest.raises(InvalidResource) as caught:
        validate_resource(observation(subject={"reference": "Medication/1"}))
    diagnostics = caught.value.issues[0].diagnostics
    assert "'Medication/1'" in diagnostics
    assert "Device | Group | Location | Patient" in diagnostics


@pytest.mark.parametrize(
    "reference",
    [
        "Patient/1",
        "Group/1/_history/3",
        "http://example.org/fhir/Device/1",
        "Patient?identifier=http://example.org/mrn|123",
        PATIENT_ID,  # a urn outside a Bundle: the type cannot be known
        "http://example.org/somewhere/else",
        "Bogus/1",  # not a resource type: not for this check
    ],
)
def test_a_reference_to_an_allowed_or_unknown_type_is_accepted(reference):
    validate_resource(observation(subject={"reference": reference}))


def test_elements_that_allow_any_resource_are_not_checked():
    validate_resource(observation(focus=[{"reference": "Medication/1"}]))
    extension = {"url": "http://example.org/x", "valueReference": {"reference": "Medication/1"}}
    validate_resource(observation(extension=[extension]))


def test_datatype_and_choice_references_are_checked():
    assignee = {"value": "1", "assigner": {"reference": "Patient/1"}}
    assert issues_of({"resourceType": "Patient", "identifier": [assignee]}) == [
        ("value", "Patient.identifier[0].assigner.reference")
    ]
    note = {"text": "x", "authorReference": {"reference": "Medication/1"}}
    assert issues_of(observation(note=[note])) == [
        ("value", "Observation.note[0].authorReference.reference")
    ]


def test_contained_references_are_checked_against_the_contained_type():
    medication = {"resourceType": "Medication", "id": "med"}
    patient = {"resourceType": "Patient", "id": "pat"}
    validate_resource(observation(contained=[patient], subject={"reference": "#pat"}))
    validate_resource(observation(contained=[medication], subject={"reference": "#other"}))
    assert issues_of(observation(contained=[medication], subject={"reference": "#med"})) == [
        ("value", "Observation.subject.reference")
    ]


def test_a_contained_reference_to_its_container_is_checked_against_the_container_type():
    contained = observation(subject={"reference": "#"})
    validate_resource({"resourceType": "Patient", "contained": [contained]})
    assert issues_of({"resourceType": "Medication", "contained": [contained]}) == [
        ("value", "Medication.contained[0].subject.reference")
    ]


def test_urn_references_resolve_to_the_entries_of_the_enclosing_bundle():
    def bundle(subject_id: str) -> dict[str, Any]:
        entries = [
            {"fullUrl": PATIENT_ID, "resource": {"resourceType": "Patient"}},
            {"fullUrl": MEDICATION_ID, "resource": {"resourceType": "Medication"}},
            {"resource": observation(subject={"reference": subject_id})},
        ]
        return {"resourceType": "Bundle", "type": "collection", "entry": entries}

    validate_resource(bundle(PATIENT_ID))
    assert issues_of(bundle(MEDICATION_ID)) == [
        ("value", "Bundle.entry[2].resource.subject.reference")
    ]


def test_contained_references_in_a_bundle_entry_resolve_in_that_entry():
    def bundle(own_type: str, other_type: str) -> dict[str, Any]:
        own = observation(subject={"reference": "#p"}, contained=[{"resourceType": own_type}])
        other = {"resourceType": "Basic", "code": {"text": "x"}}
        other["contained"] = [{"resourceType": other_type, "id": "p"}]
        own["contained"][0]["id"] = "p"
        entries = [{"resource": other}, {"resource": own}]
        return {"resourceType": "Bundle", "type": "collection", "entry": entries}

    validate_resource(bundle("Patient", "Medication"))
    assert issues_of(bundle("Medication", "Patient")) == [
        ("value", "Bundle.entry[1].resource.subject.reference")
    ]


# --- the table: built from R4, with what is not checked accounted for ---------------------------


def test_required_bindings_are_enforced_but_for_those_that_need_external_systems():
    raw = json.loads(STRUCTURE_FILE.read_text(encoding="utf-8"))
    enforced = sum(len(elements) for elements in raw["bindings"].values())
    unchecked = raw["uncheckedBindings"]
    assert (enforced, len(unchecked)) == (350, 17)
    value_sets = {reason.split(": ", 1)[0] for reason in unchecked.values()}  # "url: why"
    assert value_sets == {
        "http://hl7.org/fhir/ValueSet/mimetypes",
        "http://hl7.org/fhir/ValueSet/ucum-units",
        "http://hl7.org/fhir/ValueSet/currencies",
        "http://loinc.org/vs/LL379-9",
    }


def test_bound_value_sets_are_shared_between_elements():
    rules = structure()
    comparator = rules["Quantity"].elements["comparator"].value_set
    assert comparator is not None and comparator.codes == {"<", "<=", ">=", ">"}
    assert rules["Age"].elements["comparator"].value_set is comparator


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=NO_SHARED)
def test_bindings_and_targets_are_built_from_the_r4_resource_definitions():
    build = builder()
    raw = json.loads(STRUCTURE_FILE.read_text(encoding="utf-8"))
    lines = (SHARED_DATA / "fhir-r4" / "structure-definitions-resources.ndjson").read_text()
    for line in filter(str.strip, lines.splitlines()):
        definition = json.loads(line)
        for type_name, targets in build.build_targets(definition).items():
            assert raw["targets"][type_name] == targets, type_name
        for type_name, name, url in build.required_bindings(definition):
            enforced = raw["bindings"].get(type_name, {}).get(name)
            unchecked = raw["uncheckedBindings"].get(f"{type_name}.{name}", "")
            assert enforced == url or unchecked.startswith(url), f"{type_name}.{name}"


def test_expansion_takes_nested_concepts_explicit_lists_and_excludes():
    build = builder()
    code_systems = {
        "http://s": {
            "content": "complete",
            "concept": [{"code": "a", "concept": [{"code": "a1"}, {"code": "a2"}]}, {"code": "b"}],
        }
    }
    value_sets = {
        "http://vs": {
            "compose": {
                "include": [
                    {"system": "http://s"},
                    {"system": "http://x", "concept": [{"code": "x"}]},
                ],
                "exclude": [{"system": "http://s", "concept": [{"code": "a2"}]}],
            }
        },
        "http://filtered": {
            "compose": {"include": [{"system": "http://s", "filter": [{"op": "is-a"}]}]}
        },
        "http://external": {"compose": {"include": [{"system": "http://snomed.info/sct"}]}},
    }
    assert build.expand("http://vs", value_sets, code_systems) == {
        "http://s": {"a", "a1", "b"},
        "http://x": {"x"},
    }
    for url in ("http://filtered", "http://external", "http://missing"):
        with pytest.raises(build.Unexpandable):
            build.expand(url, value_sets, code_systems)
