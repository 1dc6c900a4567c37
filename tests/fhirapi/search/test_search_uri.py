import pytest

from tests.fhirapi.search.conftest import ids

pytestmark = pytest.mark.django_db
VS = "http://acme.org/fhir/ValueSet/123"


def test_exact(search):
    assert ids(search("ValueSet", f"url={VS}")) & {"vs1", "vs2"} == {"vs1"}


def test_below(search):
    assert ids(search("ValueSet", "url:below=http://acme.org/fhir/")) & {"vs1", "vs2"} == {
        "vs1",
        "vs2",
    }
    assert ids(search("ValueSet", f"url:below={VS}/child")) & {"vs1", "vs2"} == {"vs2"}


def test_above(search):
    found = ids(search("ValueSet", f"url:above={VS}/child/_history/5"))
    assert found & {"vs1", "vs2"} == {"vs1", "vs2"}
    assert ids(search("ValueSet", f"url:above={VS}")) & {"vs1", "vs2"} == {"vs1"}


def test_profile_is_a_uri(search):
    assert ids(search("Patient", "_profile:below=urn:p")) == {"ana"}
