import pytest
from django.conf import settings

from fhirapi.errors import InvalidSearch
from tests.fhirapi.search.conftest import BASE, ids

pytestmark = pytest.mark.django_db
BOBS = {"weight-bob", "range-bob"}


@pytest.mark.parametrize(
    "query",
    [
        "subject=Patient/bob",
        "subject=bob",
        "subject:Patient=bob",
        "patient=Patient/bob",
        "subject=Patient/bob/_history/3",
        f"subject={BASE}/Patient/bob",
        f"subject={settings.FHIR_BASE_URL}/Patient/bob",
    ],
)
def test_local_references_in_every_form(search, query):
    # weight-bob refers to bob by an absolute URL on this server, range-bob by Patient/bob
    assert ids(search("Observation", query)) == BOBS


def test_type_modifier_must_agree(search):
    assert ids(search("Observation", "subject:Group=bob")) == set()
    assert ids(search("Observation", "subject:Group=Patient/bob")) == set()


def test_external_absolute_reference(search):
    assert ids(search("Observation", "subject=http://elsewhere.org/fhir/Patient/zed")) == {
        "elsewhere"
    }
    assert ids(search("Observation", "subject=http://other.org/fhir/Patient/zed")) == set()


def test_identifier_modifier(search):
    assert ids(search("Observation", "performer:identifier=urn:mrn|A-1")) == {"elsewhere"}
    assert ids(search("Observation", "performer:identifier=A-1")) == {"elsewhere"}
    assert ids(search("Observation", "performer:identifier=urn:x|A-1")) == set()


def test_canonical_with_and_without_version(search):
    url = "http://example.org/Questionnaire/q1"
    assert ids(search("QuestionnaireResponse", f"questionnaire={url}")) == {"qr1"}
    assert ids(search("QuestionnaireResponse", f"questionnaire={url}|2.0")) == {"qr1"}
    assert ids(search("QuestionnaireResponse", f"questionnaire={url}|1.0")) == set()


def test_missing(search):
    assert "bp-ana" in ids(search("Observation", "subject:missing=false&_count=200"))
    assert "bp-ana" not in ids(search("Observation", "subject:missing=true&_count=200"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("subject.name=smithers", BOBS),
        ("subject:Patient.family=smi", BOBS),
        ("subject:Patient.family:exact=Smithers", BOBS),
        ("subject.gender=male&subject.birthdate=1949", BOBS),
        ("subject.identifier=urn:mrn|B-2", BOBS),
        ("subject.name=smithers,angstrom", BOBS | {"bp-ana"}),
        ("subject:Group.identifier=urn:mrn|B-2", set()),
        ("subject._id=bob", BOBS),
    ],
)
def test_chained_parameters(search, query, expected):
    assert ids(search("Observation", query)) & (BOBS | {"bp-ana", "elsewhere"}) == expected


def test_two_level_chain(search):
    # ra-open's subject is bob; weight-bob is bob's Observation: Observation -> Patient -> ...
    found = ids(search("RiskAssessment", "subject:Patient.identifier:of-type=urn:types|MR|B-2"))
    assert found == {"ra-open"}
    assert ids(search("Observation", "subject:Patient.general-practitioner.name=x")) == set()


def test_chain_to_an_unknown_parameter_is_ignored_and_reported(search):
    bundle = search("Observation", "subject.nonsense=bob")
    assert bundle["entry"][-1]["search"]["mode"] == "outcome"
    with pytest.raises(InvalidSearch):
        search("Observation", "subject.nonsense=bob", strict=True)


def test_chain_through_a_non_reference_is_400(search):
    with pytest.raises(InvalidSearch, match="not a reference"):
        search("Observation", "status.name=x")


def test_malformed_reference_is_400(search):
    with pytest.raises(InvalidSearch):
        search("Observation", "subject=Foo/bar/baz")
