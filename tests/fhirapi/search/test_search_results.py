"""The searchset Bundle: paging, sorting, totals, `_summary=count`, ignored parameters, system
and compartment searches."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from fhirapi.errors import InvalidSearch
from fhirapi.search.engine import compartment_bundle, search_bundle
from fhirapi.services import FhirRepository
from tests.fhirapi.search.conftest import BASE, ids

pytestmark = pytest.mark.django_db


def link(bundle: dict, relation: str) -> str | None:
    return next((item["url"] for item in bundle["link"] if item["relation"] == relation), None)


def follow(url: str) -> dict:
    parts = urlsplit(url)
    resource_type = parts.path.removeprefix("/fhir").strip("/") or None
    return search_bundle(resource_type, parse_qsl(parts.query), base_url=BASE)


def order(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", ()) if e["search"]["mode"] == "match"]


def test_entries_have_full_url_and_match_mode(search):
    entry = search("Patient", "_id=ana")["entry"][0]
    assert entry["fullUrl"] == f"{BASE}/Patient/ana"
    assert entry["search"] == {"mode": "match"}
    assert entry["resource"]["meta"]["versionId"] == "1"


def test_next_links_walk_every_match_once(search):
    everything = ids(search("Observation", ""))
    bundle = search("Observation", "_count=7&_sort=-date")
    seen, pages = order(bundle), 1
    assert bundle["total"] == len(everything)
    while link(bundle, "next"):
        bundle = follow(link(bundle, "next"))
        seen += order(bundle)
        pages += 1
    assert len(seen) == len(set(seen)) == len(everything)
    assert pages == -(-len(everything) // 7)


def test_previous_link_returns_the_page_before(search):
    first = search("Observation", "_count=5&_sort=status,-date")
    second = follow(link(first, "next"))
    back = follow(link(second, "previous"))
    assert order(back) == order(first)
    assert link(first, "previous") is None


def test_pages_stay_right_when_data_changes(search):
    first = search("Patient", "_count=3&_sort=birthdate")
    rest_before = []
    bundle = first
    while link(bundle, "next"):
        bundle = follow(link(bundle, "next"))
        rest_before += order(bundle)
    repository = FhirRepository(lenient_references=True)
    repository.create({"resourceType": "Patient", "birthDate": "1800-01-01"})  # sorts first
    repository.delete("Patient", rest_before[0])
    rest_after, bundle = [], first
    while link(bundle, "next"):
        bundle = follow(link(bundle, "next"))
        rest_after += order(bundle)
    assert rest_after == rest_before[1:]


def test_self_link_repeats_the_query_used(search):
    bundle = search("Patient", "family=smi&_sort=-birthdate&_count=2")
    query = dict(parse_qsl(urlsplit(link(bundle, "self")).query))
    assert query == {"family": "smi", "_sort": "-birthdate", "_count": "2"}


def test_sort_ascending_and_descending(search):
    # birth dates: bob 1949-12-31, ana 1950-06, example 1974-12-25
    assert order(search("Patient", "_id=ana,bob,example&_sort=birthdate")) == [
        "bob",
        "ana",
        "example",
    ]
    assert order(search("Patient", "_id=ana,bob,example&_sort=-birthdate")) == [
        "example",
        "ana",
        "bob",
    ]


def test_sort_on_several_keys_and_record_columns(search):
    bundle = search("Patient", "_id=ana,bob,example&_sort=gender,-_id")
    assert order(bundle) == ["ana", "example", "bob"]
    assert order(search("Patient", "_id=ana,bob&_sort=-_id")) == ["bob", "ana"]
    assert order(search("Patient", "_id=ana,bob&_sort=family")) == ["ana", "bob"]


def test_sort_on_quantity_reference_and_token(search):
    found = order(search("RiskAssessment", "_id=ra-decimal,ra-range,ra-open&_sort=-probability"))
    assert found == ["ra-open", "ra-decimal", "ra-range"]
    found = order(search("Observation", "_id=bp-ana,weight-bob&_sort=subject"))
    assert found == ["bp-ana", "weight-bob"]
    found = order(search("Observation", "_id=bp-ana,weight-bob&_sort=-status"))
    assert found == ["bp-ana", "weight-bob"]


def test_resources_without_the_sort_value_come_last(search):
    both = order(search("Observation", "_id=bp-ana,elsewhere&_sort=date"))
    assert both == ["bp-ana", "elsewhere"]
    assert order(search("Observation", "_id=bp-ana,elsewhere&_sort=-date")) == both


def test_total_modes(search):
    assert search("Observation", "_total=accurate&_count=1")["total"] == len(
        ids(search("Observation", ""))
    )
    assert "total" not in search("Observation", "_total=none&_count=1")
    assert search("Observation", "_total=estimate&_count=1")["total"] >= 0
    assert search("Observation", "_count=1")["total"] == len(ids(search("Observation", "")))


def test_summary_count(search):
    bundle = search("Patient", "_id=ana,bob&_summary=count")
    assert bundle["total"] == 2
    assert "entry" not in bundle


def test_count_zero_and_offset(search):
    assert "entry" not in search("Patient", "_count=0")
    all_ids = order(search("Patient", "_sort=_id"))
    assert order(search("Patient", "_sort=_id&_offset=2&_count=2")) == all_ids[2:4]


def test_count_is_capped(search, settings):
    settings.FHIR_MAX_COUNT = 3
    assert len(order(search("Observation", "_count=500"))) == 3


def test_unknown_parameters_are_ignored_reported_and_left_out_of_links(search):
    bundle = search("Patient", "_id=ana&nonsense=1&_contained=true")
    assert ids(bundle) == {"ana"}
    outcome = bundle["entry"][-1]
    assert outcome["search"]["mode"] == "outcome"
    names = [issue["expression"][0] for issue in outcome["resource"]["issue"]]
    assert names == ["nonsense", "_contained"]
    assert "nonsense" not in link(bundle, "self")


def test_strict_handling_refuses_unknown_parameters(search):
    with pytest.raises(InvalidSearch, match="nonsense"):
        search("Patient", "_id=ana&nonsense=1", strict=True)


@pytest.mark.parametrize("query", ["_count=-1", "_count=x", "_total=some", "_page=garbage"])
def test_malformed_result_parameters(search, query):
    with pytest.raises(InvalidSearch):
        search("Patient", query)


def test_system_search_with_types(search):
    bundle = search(None, "_type=Patient,Observation&_id=ana,bp-ana,ra-range")
    assert ids(bundle) == {"ana", "bp-ana"}
    assert {e["fullUrl"] for e in bundle["entry"]} == {
        f"{BASE}/Patient/ana",
        f"{BASE}/Observation/bp-ana",
    }


def test_system_search_only_takes_common_parameters(search):
    bundle = search(None, "_type=Patient,Observation&family=x&_id=ana")
    assert ids(bundle) == {"ana"}
    assert bundle["entry"][-1]["search"]["mode"] == "outcome"
    assert ids(search(None, "_id=ana,ra-open")) == {"ana", "ra-open"}


def test_unknown_type_in_type_list_is_400(search):
    with pytest.raises(InvalidSearch):
        search(None, "_type=Patient,Nothing")


def test_compartment_search(search_data, db):
    bundle = compartment_bundle("bob", "Observation", [("_count", "100")], base_url=BASE)
    assert ids(bundle) == {"weight-bob", "range-bob"}
    everything = compartment_bundle("ana", None, [("_count", "100")], base_url=BASE)
    assert {"ana", "bp-ana", "ra-decimal", "ra-range", "qr1"} <= ids(everything)
    assert link(everything, "self").startswith(f"{BASE}/Patient/ana/*?")
    assert ids(compartment_bundle("ana", "ValueSet", [], base_url=BASE)) == set()


def test_compartment_patient_restricts_every_search(search):
    found = ids(search("Observation", "code:text=weight,blood", compartment_patient="bob"))
    assert found == {"weight-bob"}
    assert ids(search(None, "_id=ana,bob", compartment_patient="ana")) == {"ana"}
