import pytest

from fhirapi.errors import InvalidSearch
from tests.fhirapi.search.conftest import LOINC, ids

pytestmark = pytest.mark.django_db


def test_code_alone_matches_any_system(search):
    assert ids(search("Patient", "gender=female&_count=100")) >= {"ana"}
    assert "bob" not in ids(search("Patient", "gender=female&_count=100"))


def test_system_and_code(search):
    assert "bp-ana" in ids(search("Observation", f"code={LOINC}|85354-9"))
    assert "bp-ana" not in ids(search("Observation", "code=http://other|85354-9"))


def test_code_without_system(search):
    # Patient.gender has no system: `|female` matches, a system does not
    assert "ana" in ids(search("Patient", "gender=|female"))
    assert "ana" not in ids(
        search("Patient", "gender=http://hl7.org/fhir/administrative-gender|female")
    )


def test_any_code_of_a_system(search):
    found = ids(search("Patient", "identifier=urn:mrn|"))
    assert found == {"ana", "bob"}


def test_identifier_system_and_value(search):
    assert ids(search("Patient", "identifier=urn:mrn|A-1")) == {"ana"}
    assert ids(search("Patient", "identifier=A-1")) == {"ana"}


def test_boolean_and_contact_point(search):
    assert "ana" in ids(search("Patient", "active=true&_count=100"))
    assert "bob" in ids(search("Patient", "active=false"))
    assert ids(search("Patient", "phone=555-0100")) == {"ana"}


def test_not_excludes_and_keeps_resources_without_a_value(search):
    found = ids(search("Patient", "gender:not=male&_count=100"))
    assert "ana" in found and "bob" not in found
    none = ids(search("Patient", "gender:not=male,female&_count=100"))
    assert not none & {"ana", "bob"}


def test_text_searches_display_and_text(search):
    assert "bp-ana" in ids(search("Observation", "code:text=blood"))
    assert "bp-ana" in ids(search("Observation", "code:text=PANEL"))
    assert "weight-bob" in ids(search("Observation", "code:text=body weight"))
    assert "bp-ana" not in ids(search("Observation", "code:text=anel"))


def test_of_type(search):
    assert ids(search("Patient", "identifier:of-type=urn:types|MR|B-2")) == {"bob"}
    assert ids(search("Patient", "identifier:of-type=urn:types|XX|B-2")) == set()


def test_of_type_needs_three_parts(search):
    with pytest.raises(InvalidSearch):
        search("Patient", "identifier:of-type=urn:types|MR")


def test_too_many_bars_is_an_error(search):
    with pytest.raises(InvalidSearch):
        search("Patient", "gender=a|b|c")


def test_escaped_bar_is_part_of_the_code(search):
    assert ids(search("Patient", r"gender=fe\|male")) == set()


def test_tag_profile_security_source(search):
    assert ids(search("Patient", "_tag=urn:tags|vip")) == {"ana"}
    assert ids(search("Patient", "_profile=urn:p:a")) == {"ana"}
    assert "ana" not in ids(search("Patient", "_security=urn:x|y"))
