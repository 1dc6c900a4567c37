"""validate_resource against R4: the official examples and Synthea pass, crafted faults fail
with the right location, and non-resources are a 400."""

import importlib.util
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fhirapi.errors import BadRequest, InvalidResource
from fhirapi.store.resource_types import RESOURCE_TYPES, is_resource_type
from fhirapi.store.validation import MAX_ISSUES, STRUCTURE_FILE, structure, validate_resource

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "validation"
SHARED_DATA = REPO_ROOT / ".." / "shared" / "data"
NO_SHARED = "needs /work/shared/data beside the repository"

# Official examples that are not valid R4 and so must be rejected: file -> (code, location)
# of the one issue each has, and why.
INVALID_EXAMPLES = {
    # DeviceUseStatement.reasonReference is Reference(Condition | Observation |
    # DiagnosticReport | DocumentReference | Media); the example gives a Procedure.
    "DeviceUseStatement-example.json": (
        "value",
        "DeviceUseStatement.reasonReference[0].reference",
    ),
    # MedicationRequest.dispenseRequest.performer is Reference(Organization); the example gives
    # a Practitioner.
    "MedicationRequest-medrx0301.json": (
        "value",
        "MedicationRequest.dispenseRequest.performer.reference",
    ),
}
FIXTURE_EXAMPLES = sorted((FIXTURES / "examples").glob("*.json"))
SHARED_EXAMPLES = sorted((SHARED_DATA / "fhir-r4-examples").glob("*.json"))
SHARED_BUNDLES = sorted((SHARED_DATA / "synthea" / "r4-bundles").glob("*.json"))


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def issues_of(resource: Any) -> list[tuple[str, str]]:
    """(issue code, location) of each problem validate_resource reports."""
    with pytest.raises(InvalidResource) as caught:
        validate_resource(resource)
    return [(issue.code, issue.expression[0]) for issue in caught.value.issues]


def basic_with(**elements: Any) -> dict[str, Any]:
    return {"resourceType": "Basic", "code": {"text": "test"}, **elements}


def extension_value(value_name: str, value: Any) -> dict[str, Any]:
    return basic_with(extension=[{"url": "http://example.org/x", value_name: value}])


# --- resource types -----------------------------------------------------------------------------


def test_resource_types_are_the_concrete_r4_types():
    assert len(RESOURCE_TYPES) == 146
    assert is_resource_type("Patient") and is_resource_type("EffectEvidenceSynthesis")
    assert not is_resource_type("DomainResource")
    assert not is_resource_type("patient")
    assert not is_resource_type("Citation")  # R4B and R5 only


def test_resource_types_match_the_structure_table():
    root_types = {name for name in structure() if "." not in name and name[0].isupper()}
    assert root_types >= RESOURCE_TYPES
    assert "Resource" not in structure() and "DomainResource" not in structure()


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=NO_SHARED)
def test_resource_types_match_the_r4_structure_definitions():
    lines = (SHARED_DATA / "fhir-r4" / "structure-definitions-resources.ndjson").read_text()
    definitions = [json.loads(line) for line in lines.splitlines() if line.strip()]
    assert {sd["id"] for sd in definitions if not sd["abstract"]} == RESOURCE_TYPES


def test_every_type_in_the_structure_table_is_defined():
    known = set(structure()) | {"Resource"}
    primitive = {"string", "boolean", "code", "id", "uri", "url", "canonical", "oid", "uuid"}
    primitive |= {"markdown", "base64Binary", "xhtml", "integer", "unsignedInt", "positiveInt"}
    primitive |= {"decimal", "date", "dateTime", "instant", "time"}
    for type_name, rules in structure().items():
        for name, rule in rules.elements.items():
            assert rule.type_code in known | primitive, f"{type_name}.{name}: {rule.type_code}"


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=NO_SHARED)
def test_structure_table_is_built_from_the_r4_resource_definitions():
    builder_path = STRUCTURE_FILE.with_name("validation-build-r4-structure.py")
    spec = importlib.util.spec_from_file_location("validation_build", builder_path)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    raw = load(STRUCTURE_FILE)["types"]
    lines = (SHARED_DATA / "fhir-r4" / "structure-definitions-resources.ndjson").read_text()
    for line in filter(str.strip, lines.splitlines()):
        definition = json.loads(line)
        if not definition["abstract"]:
            for type_name, rules in builder.build_types(definition).items():
                assert raw[type_name] == rules, type_name


# --- valid resources ----------------------------------------------------------------------------


def check_official_example(path: Path) -> None:
    """Valid, or rejected for exactly the one reason INVALID_EXAMPLES gives."""
    if path.name in INVALID_EXAMPLES:
        assert issues_of(load(path)) == [INVALID_EXAMPLES[path.name]]
    else:
        validate_resource(load(path))


@pytest.mark.parametrize("path", FIXTURE_EXAMPLES, ids=lambda path: path.stem)
def test_official_example_from_fixtures_is_valid(path):
    check_official_example(path)


def test_synthea_bundle_from_fixtures_is_valid_whole_and_entry_by_entry():
    bundle = load(FIXTURES / "Hershel_Marvin_71a7f9d4-45b7-481b-b571-7ee0caca6e2a.json")
    validate_resource(bundle, expected_type="Bundle")
    for entry in bundle["entry"]:
        validate_resource(entry["resource"], expected_type=entry["resource"]["resourceType"])


@pytest.mark.skipif(not SHARED_EXAMPLES, reason=NO_SHARED)
def test_every_official_r4_example_is_valid_or_known_invalid():
    assert len(SHARED_EXAMPLES) == 360
    assert {path.name for path in SHARED_EXAMPLES} >= set(INVALID_EXAMPLES)
    for path in SHARED_EXAMPLES:
        check_official_example(path)


@pytest.mark.skipif(not SHARED_BUNDLES, reason=NO_SHARED)
def test_every_synthea_bundle_is_valid():
    assert len(SHARED_BUNDLES) >= 3
    for path in SHARED_BUNDLES:
        bundle = load(path)
        validate_resource(bundle)
        for entry in bundle["entry"]:
            validate_resource(entry["resource"])


# --- not a resource: 400 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected_type"),
    [
        ([], None),
        ("Patient", None),
        (None, None),
        ({"id": "1"}, None),
        ({"resourceType": "Bogus"}, None),
        ({"resourceType": "DomainResource"}, None),
        ({"resourceType": "Citation"}, None),
        ({"resourceType": ["Patient"]}, None),
        ({"resourceType": "Patient"}, "Observation"),
    ],
)
def test_a_body_that_is_not_the_resource_expected_is_a_bad_request(body, expected_type):
    with pytest.raises(BadRequest) as caught:
        validate_resource(body, expected_type=expected_type)
    assert caught.value.status == 400


def test_nesting_too_deep_is_a_bad_request_not_a_crash():
    extension: dict[str, Any] = {"url": "http://example.org/x", "valueString": "leaf"}
    for _ in range(5000):
        extension = {"url": "http://example.org/x", "extension": [extension]}
    with pytest.raises(BadRequest):
        validate_resource(basic_with(extension=[extension]))


# --- invalid resources: 422 with locations ------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            {"resourceType": "Patient", "name": [{"given": ["Ann", 5]}]},
            [("value", "Patient.name[0].given[1]")],
        ),
        (
            {"resourceType": "Patient", "name": [{"family": "Li", "nickname": "A"}]},
            [("structure", "Patient.name[0].nickname")],
        ),
        ({"resourceType": "Patient", "active": "true"}, [("value", "Patient.active")]),
        ({"resourceType": "Patient", "active": 1}, [("value", "Patient.active")]),
        (
            {"resourceType": "Patient", "multipleBirthInteger": "2"},
            [("value", "Patient.multipleBirthInteger")],
        ),
        (
            {"resourceType": "Patient", "multipleBirthInteger": 2.5},
            [("value", "Patient.multipleBirthInteger")],
        ),
        ({"resourceType": "Patient", "birthDate": "2020-13-01"}, [("value", "Patient.birthDate")]),
        ({"resourceType": "Patient", "birthDate": "2021-02-29"}, [("value", "Patient.birthDate")]),
        (
            {"resourceType": "Patient", "birthDate": "2020-01-01T10:00:00Z"},
            [("value", "Patient.birthDate")],
        ),
        ({"resourceType": "Patient", "id": "a_b"}, [("value", "Patient.id")]),
        ({"resourceType": "Patient", "id": "x" * 65}, [("value", "Patient.id")]),
        ({"resourceType": "Patient", "gender": ""}, [("value", "Patient.gender")]),
        ({"resourceType": "Patient", "gender": " male"}, [("value", "Patient.gender")]),
        ({"resourceType": "Patient", "name": []}, [("value", "Patient.name")]),
        ({"resourceType": "Patient", "name": {"family": "Li"}}, [("structure", "Patient.name")]),
        ({"resourceType": "Patient", "gender": ["male"]}, [("structure", "Patient.gender")]),
        (
            {"resourceType": "Patient", "communication": [{}]},
            [("value", "Patient.communication[0]")],
        ),
        (
            {"resourceType": "Patient", "communication": [{"preferred": True}]},
            [("required", "Patient.communication[0].language")],
        ),
        (
            {"resourceType": "Patient", "deceasedBoolean": True, "deceasedDateTime": "2020"},
            [("structure", "Patient.deceasedDateTime")],
        ),
        (
            {"resourceType": "Patient", "meta": {"lastUpdated": "2020-01-01"}},
            [("value", "Patient.meta.lastUpdated")],
        ),
        (
            {"resourceType": "Patient", "text": {"status": "generated", "div": "plain"}},
            [("value", "Patient.text.div")],
        ),
        (
            {"resourceType": "Patient", "fhir_comments": ["DSTU2 only"]},
            [("structure", "Patient.fhir_comments")],
        ),
        ({"resourceType": "Patient", "_active": [{"id": "a"}]}, [("structure", "Patient.active")]),
        ({"resourceType": "Patient", "_name": {"id": "a"}}, [("structure", "Patient._name")]),
        (
            {"resourceType": "Patient", "name": [{"given": ["A", None], "_given": [None, None]}]},
            [("value", "Patient.name[0].given[1]")],
        ),
        (
            {"resourceType": "Patient", "name": [{"given": ["A"], "_given": [None, {"id": "x"}]}]},
            [("structure", "Patient.name[0]._given")],
        ),
        ({"resourceType": "Observation", "status": "final"}, [("required", "Observation.code")]),
        (
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "x"},
                "referenceRange": [{"low": {"value": 1, "comparator": "<"}}],
            },
            [("structure", "Observation.referenceRange[0].low.comparator")],  # SimpleQuantity
        ),
        (
            {
                "resourceType": "Patient",
                "contained": [{"resourceType": "Observation", "status": "final"}],
            },
            [("required", "Patient.contained[0].code")],
        ),
        (
            {"resourceType": "Patient", "contained": [{"resourceType": "Bogus"}]},
            [("structure", "Patient.contained[0]")],
        ),
        (
            {
                "resourceType": "Patient",
                "contained": [
                    {"resourceType": "Patient", "contained": [{"resourceType": "Patient"}]}
                ],
            },
            [("invariant", "Patient.contained[0].contained")],
        ),
        (
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": "Patient", "active": "yes"}}],
            },
            [("value", "Bundle.entry[0].resource.active")],
        ),
        ({"resourceType": "Bundle"}, [("required", "Bundle.type")]),
        (
            basic_with(extension=[{"url": "http://example.org/x"}]),
            [("invariant", "Basic.extension[0]")],
        ),
        (
            basic_with(
                extension=[
                    {
                        "url": "http://a",
                        "valueString": "v",
                        "extension": [{"url": "http://b", "valueCode": "c"}],
                    }
                ]
            ),
            [("invariant", "Basic.extension[0]")],
        ),
        (basic_with(extension=[{"valueString": "v"}]), [("required", "Basic.extension[0].url")]),
        (
            {
                "resourceType": "Patient",
                "_birthDate": {"extension": [{"url": "http://a", "valueDate": "2020-02-31"}]},
            },
            [("value", "Patient.birthDate.extension[0].valueDate")],
        ),
        (
            {"resourceType": "Patient", "contained": [{"resourceType": ["Patient"]}]},
            [("structure", "Patient.contained[0]")],
        ),
        ({"resourceType": "Patient", 7: "not a name"}, [("structure", "Patient.7")]),
        (
            basic_with(extension=[{"url": "http://a", 7: "x"}]),
            [("structure", "Basic.extension[0].7"), ("invariant", "Basic.extension[0]")],
        ),
        (
            {"resourceType": "Patient", "meta": {"project": "medplum"}},
            [("structure", "Patient.meta.project")],
        ),
    ],
)
def test_invalid_resource_reports_each_problem_where_it_is(resource, expected):
    assert issues_of(resource) == expected


def test_invalid_resource_is_a_422_with_an_operation_outcome():
    with pytest.raises(InvalidResource) as caught:
        validate_resource({"resourceType": "Patient", "active": "yes", "birthDate": "soon"})
    error = caught.value
    assert error.status == 422
    outcome = error.outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    assert [issue["expression"] for issue in outcome["issue"]] == [
        ["Patient.active"],
        ["Patient.birthDate"],
    ]
    assert "true or false" in outcome["issue"][0]["diagnostics"]


def test_the_number_of_issues_is_capped():
    resource = {"resourceType": "Patient", **{f"bogus{index}": 1 for index in range(500)}}
    with pytest.raises(InvalidResource) as caught:
        validate_resource(resource)
    issues = caught.value.issues
    assert len(issues) == MAX_ISSUES + 1
    assert issues[-1].code == "too-costly"


def test_primitive_extensions_and_nulls_in_primitive_arrays_are_accepted():
    validate_resource(
        {
            "resourceType": "Patient",
            "_birthDate": {"extension": [{"url": "http://a", "valueCode": "unknown"}]},
            "name": [
                {
                    "given": [None, "B"],
                    "_given": [{"extension": [{"url": "http://a", "valueString": "x"}]}, None],
                }
            ],
        }
    )


# --- primitive formats (through Extension.value[x], which takes every type) ---------------------


@pytest.mark.parametrize(
    ("value_name", "value"),
    [
        ("valueBoolean", False),
        ("valueInteger", -2147483648),
        ("valueUnsignedInt", 0),
        ("valuePositiveInt", 1),
        ("valueDecimal", 1.50),
        ("valueDecimal", 3),
        ("valueDecimal", 10**400),
        ("valueDecimal", Decimal("1.50")),
        ("valueDate", "2020"),
        ("valueDate", "2020-02"),
        ("valueDate", "2020-02-29"),
        ("valueDateTime", "2015-02-07T13:28:17-05:00"),
        ("valueDateTime", "2016-12-31T23:59:60Z"),
        ("valueInstant", "2017-01-01T00:00:00.000Z"),
        ("valueTime", "13:28:17"),
        ("valueCode", "two words"),
        ("valueId", "a-b.C9"),
        ("valueOid", "urn:oid:1.2.3.4"),
        ("valueUuid", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"),
        ("valueUri", "urn:isbn:0451450523"),
        ("valueBase64Binary", "aGVsbG8gd29ybGQ=\n"),
        ("valueMarkdown", "**bold**"),
    ],
)
def test_well_formed_primitive_is_accepted(value_name, value):
    validate_resource(extension_value(value_name, value))


@pytest.mark.parametrize(
    ("value_name", "value"),
    [
        ("valueBoolean", "false"),
        ("valueBoolean", 0),
        ("valueInteger", 2147483648),
        ("valueInteger", "1"),
        ("valueInteger", True),
        ("valueUnsignedInt", -1),
        ("valuePositiveInt", 0),
        ("valueDecimal", "1.5"),
        ("valueDecimal", float("nan")),
        ("valueDecimal", True),
        ("valueDecimal", Decimal("Infinity")),
        ("valueDate", "2020-1-01"),
        ("valueDate", "20200101"),
        ("valueDate", "2019-02-29"),
        ("valueDateTime", "2015-02-07T13:28:17"),  # a time needs a zone
        ("valueDateTime", "2015-02-07T24:00:00Z"),
        ("valueInstant", "2017-01-01"),
        ("valueTime", "13:28"),
        ("valueCode", "two  spaces"),
        ("valueId", "has space"),
        ("valueOid", "urn:oid:3.1"),
        ("valueUuid", "c757873d-ec9a-4326-a141-556f43239520"),
        ("valueUri", "has space"),
        ("valueBase64Binary", "not base64!"),
        ("valueString", ""),
        ("valueString", 12),
        ("valueString", None),
    ],
)
def test_malformed_primitive_is_rejected_at_its_location(value_name, value):
    assert issues_of(extension_value(value_name, value)) == [
        ("value", f"Basic.extension[0].{value_name}")
    ]


# --- where R4 differs from the R4B models of fhir.resources, R4 wins --------------------------


def test_r4_only_resource_types_are_validated():
    validate_resource({"resourceType": "MedicinalProduct", "name": [{"productName": "Crestor"}]})
    assert issues_of({"resourceType": "MedicinalProduct", "name": [{"fullName": "x"}]}) == [
        ("structure", "MedicinalProduct.name[0].fullName"),
        ("required", "MedicinalProduct.name[0].productName"),
    ]


def test_marketing_status_keeps_its_r4_cardinality():
    marketing = {"status": {"text": "active"}}
    resource = {
        "resourceType": "MedicinalProduct",
        "name": [{"productName": "x"}],
        "marketingStatus": [marketing],
    }
    assert issues_of(resource) == [
        ("required", "MedicinalProduct.marketingStatus[0].country"),
        ("required", "MedicinalProduct.marketingStatus[0].dateRange"),
    ]


def test_evidence_has_its_r4_shape_not_the_r4b_one():
    evidence = {
        "resourceType": "Evidence",
        "status": "draft",
        "exposureBackground": {"reference": "EvidenceVariable/1"},
    }
    validate_resource(evidence)
    assert issues_of({**evidence, "certainty": [{"rating": [{"text": "high"}]}]}) == [
        ("structure", "Evidence.certainty")
    ]
    assert issues_of({"resourceType": "Evidence", "status": "draft"}) == [
        ("required", "Evidence.exposureBackground")
    ]


def test_r4b_only_elements_are_unknown():
    activity = {
        "resourceType": "ActivityDefinition",
        "status": "draft",
        "subjectCanonical": "http://a/b",
    }
    assert issues_of(activity) == [("structure", "ActivityDefinition.subjectCanonical")]
    assert issues_of(extension_value("valueCodeableReference", {"concept": {"text": "x"}})) == [
        ("structure", "Basic.extension[0].valueCodeableReference")
    ]
    validate_resource(extension_value("valueMeta", {"versionId": "1"}))  # R4 only
