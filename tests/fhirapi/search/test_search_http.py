"""Search over HTTP: the routes, POST _search, Prefer: handling=strict, compartments."""

import pytest

from tests.fhirapi.search.conftest import ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(search_data, api):
    return api


def test_type_search(client):
    response = client.get("/fhir/Patient?family=smithers")
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "searchset"
    assert ids(bundle) == {"bob"}
    assert bundle["entry"][0]["fullUrl"] == "http://testserver/fhir/Patient/bob"


def test_post_search_combines_query_and_form(client):
    response = client.post(
        "/fhir/Patient/_search?gender=male",
        data="family=smi&_count=50",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert ids(response.json()) == {"bob"}


def test_strict_handling_is_400_with_an_outcome(client):
    response = client.get("/fhir/Patient?nonsense=1", HTTP_PREFER="handling=strict")
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "nonsense" in body["issue"][0]["diagnostics"]


def test_lenient_handling_reports_in_the_bundle(client):
    response = client.get("/fhir/Patient?nonsense=1&_id=ana", HTTP_PREFER="handling=lenient")
    assert response.status_code == 200
    assert response.json()["entry"][-1]["search"]["mode"] == "outcome"


def test_malformed_value_is_400(client):
    response = client.get("/fhir/Patient?birthdate=notadate")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["birthdate"]


def test_system_search(client):
    response = client.get("/fhir?_type=Patient,Observation&_id=bob,weight-bob")
    assert ids(response.json()) == {"bob", "weight-bob"}


def test_compartment_routes(client):
    assert ids(client.get("/fhir/Patient/bob/Observation").json()) == {"weight-bob", "range-bob"}
    everything = client.get("/fhir/Patient/bob/*?_count=100").json()
    assert {"bob", "weight-bob", "range-bob", "ra-open"} <= ids(everything)


def test_paging_links_are_followable(client):
    bundle = client.get("/fhir/Observation?_count=3").json()
    next_url = next(x["url"] for x in bundle["link"] if x["relation"] == "next")
    page = client.get(next_url.removeprefix("http://testserver")).json()
    assert not ids(page) & ids(bundle)
