import pytest

from fhirapi.errors import InvalidSearch
from tests.fhirapi.search.conftest import LOINC, ids

pytestmark = pytest.mark.django_db
COMPONENT = "component-code-value-quantity"


@pytest.mark.parametrize(
    ("value", "found"),
    [
        (f"{LOINC}|8480-6$gt140", True),
        (f"{LOINC}|8480-6$gt141", False),
        (f"{LOINC}|8462-4$90", True),
        (f"{LOINC}|8480-6$90", False),  # 90 is the other component's value
        (f"{LOINC}|8480-6$141|http://unitsofmeasure.org|mm[Hg]", True),
        (f"8480-6$lt150,{LOINC}|1$1", True),
    ],
)
def test_parts_match_within_one_component(search, value, found):
    assert ("bp-ana" in ids(search("Observation", f"{COMPONENT}={value}"))) is found


def test_value_of_the_resource_itself(search):
    assert ids(search("Observation", f"code-value-quantity={LOINC}|29463-7$72.5")) == {"weight-bob"}


def test_missing(search):
    assert "bp-ana" in ids(search("Observation", f"{COMPONENT}:missing=false"))
    assert "weight-bob" not in ids(search("Observation", f"{COMPONENT}:missing=false&_count=200"))


def test_wrong_number_of_parts_is_400(search):
    with pytest.raises(InvalidSearch, match=COMPONENT):
        search("Observation", f"{COMPONENT}={LOINC}|8480-6")
