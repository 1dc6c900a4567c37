import pytest

from fhirapi.errors import InvalidSearch
from tests.fhirapi.search.conftest import ids

pytestmark = pytest.mark.django_db


def test_default_is_case_and_accent_insensitive_starts_with(search):
    assert {"ana"} <= ids(search("Patient", "family=ang"))
    assert {"ana"} <= ids(search("Patient", "family=ÅNGSTRÖM"))
    assert "ana" not in ids(search("Patient", "family=ngstr"))


def test_name_matches_any_part_of_a_human_name(search):
    assert "ana" in ids(search("Patient", "name=maria"))
    assert "bob" in ids(search("Patient", "name=bob"))


def test_exact_compares_the_whole_string_as_written(search):
    assert ids(search("Patient", "family:exact=Ångström")) == {"ana"}
    assert ids(search("Patient", "family:exact=ångström")) == set()
    assert ids(search("Patient", "family:exact=Ångs")) == set()


def test_contains_matches_anywhere(search):
    assert "ana" in ids(search("Patient", "family:contains=gstr"))
    assert "bob" in ids(search("Patient", "family:contains=ITHER"))


def test_comma_is_or_and_repeating_is_and(search):
    assert {"ana", "bob"} <= ids(search("Patient", "family=ang,smithers"))
    assert ids(search("Patient", "family=ang&family=smithers")) == set()
    assert ids(search("Patient", "given=ana&given=mar")) == {"ana"}


def test_escaped_comma_is_part_of_the_value(search):
    assert ids(search("Patient", r"family=ang\,x")) == set()


def test_address_parts_are_searched(search):
    assert "example" in ids(search("Patient", "address=pleasantville"))
    assert "example" in ids(search("Patient", "address-city=PleasantVille"))


def test_missing(search):
    missing = ids(search("Patient", "family:missing=true&_count=100"))
    present = ids(search("Patient", "family:missing=false&_count=100"))
    assert "ana" in present and "ana" not in missing
    assert not missing & present


def test_missing_takes_true_or_false(search):
    with pytest.raises(InvalidSearch):
        search("Patient", "family:missing=maybe")


def test_unknown_modifier_is_an_error(search):
    with pytest.raises(InvalidSearch, match="unknown modifier"):
        search("Patient", "family:sounds-like=x")
