import pytest

from fhirapi.errors import InvalidSearch
from tests.fhirapi.search.conftest import ids

pytestmark = pytest.mark.django_db

# ana: birthDate 1950-06 (a month); bob: 1949-12-31 (a day)


@pytest.mark.parametrize(
    ("query", "ana", "bob"),
    [
        ("birthdate=1950", True, False),
        ("birthdate=1950-06", True, False),
        ("birthdate=1950-06-15", False, False),  # the search range is inside ana's month
        ("birthdate=1949-12-31", False, True),
        ("birthdate=ne1950", False, True),
        ("birthdate=gt1949", True, False),
        ("birthdate=ge1950", True, False),
        ("birthdate=ge1950-06-15", True, False),  # ana's month reaches beyond the 15th
        ("birthdate=lt1950", False, True),
        ("birthdate=le1950-06", True, True),
        ("birthdate=sa1949-12-31", True, False),
        ("birthdate=eb1950-06-01", False, True),
        ("birthdate=eb1950-06-02", False, True),  # ana's month starts before but ends after
        ("birthdate=ap1950-06-10", True, True),  # 10% of ~75 years either side
    ],
)
def test_prefix_semantics_on_ranges(search, query, ana, bob):
    found = ids(search("Patient", query + "&_count=100"))
    assert ("ana" in found, "bob" in found) == (ana, bob)


def test_time_zones_are_compared_in_utc(search):
    # bp-ana: 2021-03-05T10:00+01:00 .. 11:00+01:00 = 09:00Z .. 10:00Z
    assert "bp-ana" in ids(search("Observation", "date=ge2021-03-05T09:00:00Z"))
    assert "bp-ana" not in ids(search("Observation", "date=gt2021-03-05T10:00:00Z"))
    assert "bp-ana" in ids(search("Observation", "date=ge2021-03-05T10:00:00+01:00"))
    # a `+` that arrived decoded as a space
    assert "bp-ana" in ids(search("Observation", "date=lt2021-03-05T10:30:00 01:00"))


def test_period_and_partial_date_values(search):
    assert "bp-ana" in ids(search("Observation", "date=2021-03-05"))
    assert "weight-bob" in ids(search("Observation", "date=2021-03"))
    assert "weight-bob" not in ids(search("Observation", "date=2021-03-05"))  # a month, not a day
    assert "weight-bob" in ids(search("Observation", "date=ge2021-03-05"))


def test_or_and(search):
    assert {"ana", "bob"} <= ids(search("Patient", "birthdate=1950,1949&_count=100"))
    assert ids(search("Patient", "birthdate=ge1949&birthdate=lt1950&_count=100")) >= {"bob"}


@pytest.mark.parametrize("value", ["1950-13", "yesterday", "1950-06-31", "19500601", "xx1950"])
def test_malformed_dates_are_400(search, value):
    with pytest.raises(InvalidSearch, match="birthdate"):
        search("Patient", f"birthdate={value}")


def test_missing(search):
    assert "ana" in ids(search("Patient", "birthdate:missing=false&_count=100"))
    assert "ana" not in ids(search("Patient", "birthdate:missing=true&_count=100"))
