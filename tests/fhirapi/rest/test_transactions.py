import pytest

from fhirapi.store.models import ResourceRecord
from tests.fhirapi.conftest import observation, patient

pytestmark = pytest.mark.django_db

PATIENT_URN = "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"


def entry(method: str, url: str, resource=None, full_url=None, **request) -> dict:
    item = {"request": {"method": method, "url": url, **request}}
    if resource is not None:
        item["resource"] = resource
    if full_url:
        item["fullUrl"] = full_url
    return item


def bundle(kind: str, *entries) -> dict:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def test_transaction_rewrites_urn_uuid_references_everywhere(api):
    obs = observation(PATIENT_URN)
    obs["extension"] = [
        {"url": "http://example.org/about", "valueReference": {"reference": PATIENT_URN}}
    ]
    obs["contained"] = [
        {
            "resourceType": "Provenance",
            "id": "p1",
            "recorded": "2024-01-01T00:00:00Z",
            "agent": [{"who": {"reference": PATIENT_URN}}],
            "target": [{"reference": PATIENT_URN}],
        }
    ]
    # the Observation comes first: references may point forward
    response = api.fhir(
        "POST",
        "/fhir",
        bundle(
            "transaction",
            entry("POST", "Observation", obs),
            entry("POST", "Patient", patient(), full_url=PATIENT_URN),
        ),
    )
    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in result["entry"]]
    assert statuses == ["201 Created", "201 Created"]
    patient_ref = result["entry"][1]["response"]["location"].split("/_history")[0]
    obs_location = result["entry"][0]["response"]["location"]
    stored = api.get(f"/fhir/{obs_location.split('/_history')[0]}").json()
    assert stored["subject"]["reference"] == patient_ref
    assert stored["extension"][0]["valueReference"]["reference"] == patient_ref
    assert stored["contained"][0]["agent"][0]["who"]["reference"] == patient_ref
    assert PATIENT_URN not in str(stored)
    assert result["entry"][0]["response"]["etag"] == 'W/"1"'


def test_transaction_is_all_or_nothing(api):
    response = api.fhir(
        "POST",
        "/fhir",
        bundle(
            "transaction",
            entry("POST", "Patient", patient(), full_url=PATIENT_URN),
            entry("POST", "Observation", observation(PATIENT_URN)),
            entry("POST", "Observation", observation("Patient/missing")),
        ),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert any("Bundle.entry[2]" in e for i in body["issue"] for e in i.get("expression", []))
    assert not ResourceRecord.objects.exists()


def test_transaction_processes_deletes_before_creates_and_updates(api):
    pid = api.fhir("POST", "/fhir/Patient", patient()).json()["id"]
    response = api.fhir(
        "POST",
        "/fhir",
        bundle(
            "transaction",
            entry("PUT", "Patient/fixed-1", patient(id="fixed-1")),
            entry("POST", "Patient", patient("New")),
            entry("DELETE", f"Patient/{pid}"),
            entry("GET", f"Patient/{pid}/_history/1"),
        ),
    )
    assert response.status_code == 200, response.json()
    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    assert statuses == ["201 Created", "201 Created", "204 No Content", "200 OK"]
    assert api.get(f"/fhir/Patient/{pid}").status_code == 410


def test_transaction_refuses_two_changes_to_one_resource(api):
    response = api.fhir(
        "POST",
        "/fhir",
        bundle(
            "transaction",
            entry("PUT", "Patient/same", patient(id="same")),
            entry("DELETE", "Patient/same"),
        ),
    )
    assert response.status_code == 400
    assert not ResourceRecord.objects.exists()


def test_batch_entries_fail_alone(api):
    response = api.fhir(
        "POST",
        "/fhir",
        bundle(
            "batch",
            entry("POST", "Patient", patient()),
            entry("POST", "Observation", observation("Patient/missing")),
            entry("GET", "Patient/nope"),
        ),
    )
    assert response.status_code == 200
    entries = response.json()["entry"]
    assert entries[0]["response"]["status"] == "201 Created"
    assert entries[1]["response"]["status"].startswith("422")
    assert entries[1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert entries[2]["response"]["status"].startswith("404")
    assert ResourceRecord.objects.count() == 1


def test_only_batch_and_transaction_are_accepted(api):
    response = api.fhir("POST", "/fhir", {"resourceType": "Bundle", "type": "collection"})
    assert response.status_code == 400
    assert api.fhir("POST", "/fhir", patient()).status_code == 400
