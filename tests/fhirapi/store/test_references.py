"""Finding, parsing and rewriting references, without a database."""

import json
from pathlib import Path
from typing import Any

import pytest

from fhirapi.store.references import (
    InvalidReference,
    ParsedReference,
    ReferenceKind,
    ReferenceSite,
    check_contained_references,
    iter_references,
    parse_reference,
    rewrite_references,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "validation"
SHARED_EXAMPLES = sorted((REPO_ROOT / ".." / "shared" / "data" / "fhir-r4-examples").glob("*.json"))
SYNTHEA_BUNDLE = FIXTURES / "Hershel_Marvin_71a7f9d4-45b7-481b-b571-7ee0caca6e2a.json"
BASE = "https://ehr.example.org/fhir"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def sites(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(site.location, site.reference) for site in iter_references(resource)]


EVERYWHERE = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"text": "x"},
    "contained": [
        {"resourceType": "Organization", "id": "lab", "partOf": {"reference": "Organization/1"}}
    ],
    "subject": {"reference": "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", "display": "Ann"},
    "performer": [
        {"reference": "#lab"},
        {"display": "no reference"},
        {"reference": "Practitioner/2"},
    ],
    "extension": [
        {"url": "http://a", "valueReference": {"reference": "Device/3"}},
        {
            "url": "http://b",
            "extension": [{"url": "c", "valueReference": {"reference": "Device/4"}}],
        },
    ],
    "_status": {
        "extension": [{"url": "http://d", "valueReference": {"reference": "Provenance/5"}}]
    },
    "component": [
        {
            "code": {"text": "y"},
            "valueString": "z",
            "extension": [{"url": "http://e", "valueReference": {"reference": "Group/6"}}],
        }
    ],
    "focus": [{"identifier": {"value": "7", "assigner": {"reference": "Organization/8"}}}],
}


# --- iter_references ----------------------------------------------------------------------------


def test_finds_every_reference_with_its_location():
    assert sites(EVERYWHERE) == [
        ("Observation.contained[0].partOf", "Organization/1"),
        ("Observation.subject", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"),
        ("Observation.performer[0]", "#lab"),
        ("Observation.performer[2]", "Practitioner/2"),
        ("Observation.extension[0].valueReference", "Device/3"),
        ("Observation.extension[1].extension[0].valueReference", "Device/4"),
        ("Observation.status.extension[0].valueReference", "Provenance/5"),
        ("Observation.component[0].extension[0].valueReference", "Group/6"),
        ("Observation.focus[0].identifier.assigner", "Organization/8"),
    ]


def test_contained_references_are_reported_and_marked():
    contained = [site for site in iter_references(EVERYWHERE) if site.is_contained]
    assert contained == [ReferenceSite("Observation.performer[0]", "#lab")]


def test_reference_named_elements_that_are_not_references_are_ignored():
    detected_issue = {
        "resourceType": "DetectedIssue",
        "status": "final",
        "reference": "urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
        "patient": {"reference": "Patient/1"},
    }
    assert sites(detected_issue) == [("DetectedIssue.patient", "Patient/1")]
    immunization = {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"text": "x"},
        "patient": {"reference": "Patient/1"},
        "occurrenceString": "last year",
        "education": [{"reference": "http://example.org/leaflet"}],
    }
    assert sites(immunization) == [("Immunization.patient", "Patient/1")]


def test_finds_references_in_resources_nested_in_a_bundle():
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:1",
                "resource": {
                    "resourceType": "Patient",
                    "link": [{"other": {"reference": "Patient/9"}, "type": "seealso"}],
                },
            }
        ],
    }
    assert sites(bundle) == [("Bundle.entry[0].resource.link[0].other", "Patient/9")]


def test_a_body_without_a_resource_type_is_refused():
    with pytest.raises(ValueError):
        list(iter_references({"subject": {"reference": "Patient/1"}}))


# --- parse_reference ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("Patient/123", ParsedReference(ReferenceKind.RELATIVE, "Patient/123", "Patient", "123")),
        (
            "Patient/123/_history/2",
            ParsedReference(
                ReferenceKind.VERSIONED, "Patient/123/_history/2", "Patient", "123", "2"
            ),
        ),
        (
            f"{BASE}/Patient/123",
            ParsedReference(ReferenceKind.RELATIVE, f"{BASE}/Patient/123", "Patient", "123"),
        ),
        (
            f"{BASE}/Patient/123/_history/4",
            ParsedReference(
                ReferenceKind.VERSIONED, f"{BASE}/Patient/123/_history/4", "Patient", "123", "4"
            ),
        ),
        (
            "http://other.org/fhir/Patient/123",
            ParsedReference(
                ReferenceKind.ABSOLUTE, "http://other.org/fhir/Patient/123", "Patient", "123"
            ),
        ),
        (
            "http://other.org/leaflet.pdf",
            ParsedReference(ReferenceKind.ABSOLUTE, "http://other.org/leaflet.pdf"),
        ),
        ("urn:isbn:0451450523", ParsedReference(ReferenceKind.ABSOLUTE, "urn:isbn:0451450523")),
        (
            "urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
            ParsedReference(
                ReferenceKind.URN_UUID, "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"
            ),
        ),
        ("urn:oid:1.2.3.4", ParsedReference(ReferenceKind.URN_OID, "urn:oid:1.2.3.4")),
        ("#med1", ParsedReference(ReferenceKind.CONTAINED, "#med1", contained_id="med1")),
        ("#", ParsedReference(ReferenceKind.CONTAINED, "#", contained_id="")),
        (
            "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999",
            ParsedReference(
                ReferenceKind.CONDITIONAL,
                "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999",
                "Practitioner",
                query="identifier=http://hl7.org/fhir/sid/us-npi|9999",
            ),
        ),
        (
            f"{BASE}/Organization?name=Acme",
            ParsedReference(
                ReferenceKind.CONDITIONAL,
                f"{BASE}/Organization?name=Acme",
                "Organization",
                query="name=Acme",
            ),
        ),
    ],
)
def test_parse_reference(reference, expected):
    assert parse_reference(reference, base_url=BASE + "/") == expected


def test_relative_form_of_a_parsed_reference():
    assert parse_reference(f"{BASE}/Patient/1/_history/2", base_url=BASE).relative == "Patient/1"
    assert parse_reference("urn:oid:1.2.3", base_url=BASE).relative is None


def test_our_base_is_only_recognised_when_given():
    assert parse_reference(f"{BASE}/Patient/1", base_url=None).kind is ReferenceKind.ABSOLUTE


@pytest.mark.parametrize(
    "reference",
    [
        "",
        " Patient/1",
        "Patient/",
        "Patient/1/2",
        "Patient/a_b",
        "Bogus/1",
        "DomainResource/1",
        "Patient/1/_history/",
        "Patient?",
        "Bogus?name=x",
        "urn:uuid:not-a-uuid",
        "urn:oid:banana",
        "#not an id",
        f"{BASE}/metadata",
    ],
)
def test_unusable_reference_is_invalid(reference):
    with pytest.raises(InvalidReference):
        parse_reference(reference, base_url=BASE)


@pytest.mark.skipif(not SHARED_EXAMPLES, reason="needs /work/shared/data beside the repository")
def test_every_reference_in_the_official_examples_parses():
    for path in SHARED_EXAMPLES:
        for site in iter_references(load(path)):
            parse_reference(site.reference, base_url=None)


# --- rewrite_references -------------------------------------------------------------------------


def test_rewrite_replaces_where_mapping_answers_and_leaves_the_original_alone():
    original = json.loads(json.dumps(EVERYWHERE))
    mapping = {
        "urn:uuid:c757873d-ec9a-4326-a141-556f43239520": "Patient/77",
        "Device/4": "Device/44",
    }
    rewritten = rewrite_references(EVERYWHERE, mapping.get)
    assert original == EVERYWHERE
    assert rewritten["subject"] == {"reference": "Patient/77", "display": "Ann"}
    assert rewritten["extension"][1]["extension"][0]["valueReference"] == {"reference": "Device/44"}
    assert [reference for _, reference in sites(rewritten)] == [
        "Organization/1",
        "Patient/77",
        "#lab",
        "Practitioner/2",
        "Device/3",
        "Device/44",
        "Provenance/5",
        "Group/6",
        "Organization/8",
    ]
    rewritten["contained"][0]["id"] = "changed"
    assert EVERYWHERE["contained"][0]["id"] == "lab"


def test_rewrite_touches_only_reference_elements():
    uuid = "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"
    issue = {
        "resourceType": "DetectedIssue",
        "status": "final",
        "reference": uuid,
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": uuid}],
        "implicated": [{"reference": uuid}],
    }
    rewritten = rewrite_references(issue, {uuid: "Observation/1"}.get)
    assert rewritten["reference"] == uuid
    assert rewritten["identifier"][0]["value"] == uuid
    assert rewritten["implicated"] == [{"reference": "Observation/1"}]


def test_rewrite_resolves_a_synthea_transaction():
    """Entries' urn:uuid references become Type/id; those to the separate practitioner and
    hospital bundles have no entry here and stay as they were."""
    bundle = load(SYNTHEA_BUNDLE)
    ids = {
        entry["fullUrl"]: f"{entry['resource']['resourceType']}/{index}"
        for index, entry in enumerate(bundle["entry"])
    }
    before = sites(bundle)
    inside = [reference for _, reference in before if reference in ids]
    assert len(inside) > 100 and len(inside) < len(before)
    rewritten = rewrite_references(bundle, ids.get)
    after = sites(rewritten)
    assert [location for location, _ in after] == [location for location, _ in before]
    assert [reference for _, reference in after] == [
        ids.get(reference, reference) for _, reference in before
    ]
    assert [entry["fullUrl"] for entry in rewritten["entry"]] == list(ids)


# --- check_contained_references -----------------------------------------------------------------


def test_contained_references_that_resolve_give_no_issues():
    assert check_contained_references(EVERYWHERE) == []
    assert (
        check_contained_references(load(FIXTURES / "examples" / "MedicationRequest-medrx0301.json"))
        == []
    )


def test_contained_reference_to_nothing_is_an_issue_at_its_location():
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "contained": [
            {"resourceType": "Device", "id": "d1", "owner": {"reference": "#missing-too"}}
        ],
        "device": {"reference": "#d1"},
        "focus": [{"reference": "#"}, {"reference": "#missing"}],
    }
    issues = check_contained_references(resource)
    assert [(issue.code, issue.expression) for issue in issues] == [
        ("not-found", ("Observation.contained[0].owner",)),
        ("not-found", ("Observation.focus[1]",)),
    ]
    assert "'#missing-too'" in issues[0].diagnostics


def test_each_bundle_entry_resolves_contained_references_in_itself():
    def entry(contained_id: str, reference: str) -> dict[str, Any]:
        contained = {"resourceType": "Organization", "id": contained_id, "name": "x"}
        patient = {
            "resourceType": "Patient",
            "contained": [contained],
            "managingOrganization": {"reference": reference},
        }
        return {"resource": patient}

    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [entry("a", "#a"), entry("b", "#a")],
    }
    issues = check_contained_references(bundle)
    assert [issue.expression for issue in issues] == [
        ("Bundle.entry[1].resource.managingOrganization",)
    ]


@pytest.mark.skipif(not SHARED_EXAMPLES, reason="needs /work/shared/data beside the repository")
def test_official_examples_have_no_dangling_contained_references():
    for path in SHARED_EXAMPLES:
        assert check_contained_references(load(path)) == [], path.name
