import pytest

from tests.fhirapi.conftest import patient

pytestmark = pytest.mark.django_db


def versions_of(bundle: dict) -> list[str]:
    return [e["response"]["etag"] for e in bundle["entry"]]


def test_instance_history_lists_every_version_newest_first(api):
    created = api.fhir("POST", "/fhir/Patient", patient()).json()
    pid = created["id"]
    api.fhir("PUT", f"/fhir/Patient/{pid}", {**created, "gender": "female"})
    api.fhir("DELETE", f"/fhir/Patient/{pid}")
    bundle = api.get(f"/fhir/Patient/{pid}/_history").json()
    assert bundle["type"] == "history"
    assert bundle["total"] == 3
    assert versions_of(bundle) == ['W/"3"', 'W/"2"', 'W/"1"']
    methods = [e["request"]["method"] for e in bundle["entry"]]
    assert methods == ["DELETE", "PUT", "POST"]
    assert "resource" not in bundle["entry"][0]
    assert bundle["entry"][1]["resource"]["gender"] == "female"


def test_type_and_system_history(api):
    api.fhir("POST", "/fhir/Patient", patient("A"))
    api.fhir("POST", "/fhir/Patient", patient("B"))
    api.fhir("POST", "/fhir/Organization", {"resourceType": "Organization", "name": "Clinic"})
    assert api.get("/fhir/Patient/_history").json()["total"] == 2
    assert api.get("/fhir/_history").json()["total"] == 3


def test_history_since_and_at(api):
    created = api.fhir("POST", "/fhir/Patient", patient()).json()
    pid = created["id"]
    first_time = created["meta"]["lastUpdated"]
    second = api.fhir("PUT", f"/fhir/Patient/{pid}", {**created, "gender": "female"}).json()
    since = api.get(
        f"/fhir/Patient/{pid}/_history", {"_since": second["meta"]["lastUpdated"]}
    ).json()
    assert versions_of(since) == ['W/"2"']
    at = api.get("/fhir/Patient/_history", {"_at": first_time}).json()
    assert versions_of(at) == ['W/"1"']
    assert api.get("/fhir/_history", {"_since": "not-a-date"}).status_code == 400


def test_history_paging_links_stay_put_while_data_changes(api):
    created = api.fhir("POST", "/fhir/Patient", patient()).json()
    pid = created["id"]
    for gender in ["female", "other", "unknown", "male"]:
        api.fhir("PUT", f"/fhir/Patient/{pid}", {**created, "gender": gender})
    first = api.get(f"/fhir/Patient/{pid}/_history", {"_count": 2}).json()
    assert versions_of(first) == ['W/"5"', 'W/"4"']
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    api.fhir("PUT", f"/fhir/Patient/{pid}", {**created, "gender": "female"})  # version 6, later
    second = api.get(next_url).json()
    assert versions_of(second) == ['W/"3"', 'W/"2"']
    relations = {link["relation"] for link in second["link"]}
    assert {"self", "first", "next", "previous"} <= relations


def test_history_of_unknown_resource_is_404(api):
    assert api.get("/fhir/Patient/none/_history").status_code == 404
