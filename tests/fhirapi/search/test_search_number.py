import pytest

from fhirapi.errors import InvalidSearch
from tests.fhirapi.search.conftest import ids

pytestmark = pytest.mark.django_db

# ra-decimal: 0.7; ra-range: [0.2, 0.5]; ra-open: [0.9, unbounded)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("probability=0.7", {"ra-decimal"}),
        ("probability=0.70", {"ra-decimal"}),
        ("probability=0.72", set()),  # [0.715, 0.725)
        ("probability=1", {"ra-decimal"}),  # [0.5, 1.5) holds 0.7 but not the open range
        ("probability=ne0.7", {"ra-range", "ra-open"}),
        ("probability=gt0.6", {"ra-decimal", "ra-open"}),
        ("probability=gt5", {"ra-open"}),
        ("probability=ge0.7", {"ra-decimal", "ra-open"}),
        ("probability=lt0.3", {"ra-range"}),
        ("probability=le0.7", {"ra-decimal", "ra-range"}),
        ("probability=sa0.6", {"ra-decimal", "ra-open"}),
        ("probability=eb0.6", {"ra-range"}),
        ("probability=ap0.5", {"ra-range"}),
        ("probability=ap0.75", {"ra-decimal"}),
        ("probability=0.7,0.3", {"ra-decimal"}),
    ],
)
def test_number_prefixes(search, query, expected):
    assert ids(search("RiskAssessment", query)) & {"ra-decimal", "ra-range", "ra-open"} == expected


@pytest.mark.parametrize("value", ["abc", "1.2.3", "gt", "1e", "NaN", "Infinity"])
def test_malformed_numbers_are_400(search, value):
    with pytest.raises(InvalidSearch, match="probability"):
        search("RiskAssessment", f"probability={value}")


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("value-quantity=72.5", True),
        ("value-quantity=72", False),
        ("value-quantity=gt72", True),
        ("value-quantity=lt72.5", False),
        ("value-quantity=le72.5", True),
        ("value-quantity=ap70", True),
        ("value-quantity=ap60", False),
        ("value-quantity=72.5|http://unitsofmeasure.org|kg", True),
        ("value-quantity=72500|http://unitsofmeasure.org|g", True),
        ("value-quantity=72.5|http://unitsofmeasure.org|g", False),
        ("value-quantity=gt70000|http://unitsofmeasure.org|g", True),
        ("value-quantity=160|http://unitsofmeasure.org|[lb_av]", True),  # 72.57 kg
        ("value-quantity=72.5||kg", True),
        ("value-quantity=72.5||g", False),
        ("value-quantity=72.5|urn:other|kg", False),
    ],
)
def test_quantity(search, query, found):
    assert ("weight-bob" in ids(search("Observation", query))) is found


def test_quantity_needs_one_or_three_parts(search):
    with pytest.raises(InvalidSearch):
        search("Observation", "value-quantity=5|kg")
