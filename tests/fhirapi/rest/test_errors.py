import pytest

from fhirapi.store.models import ResourceRecord, ResourceVersion
from tests.fhirapi.conftest import patient

pytestmark = pytest.mark.django_db


def outcome(response) -> dict:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    assert response["Content-Type"].startswith("application/fhir+json")
    return body


def nothing_written() -> bool:
    return not ResourceRecord.objects.exists() and not ResourceVersion.objects.exists()


def test_malformed_json_is_400(api):
    response = api.fhir("POST", "/fhir/Patient", '{"resourceType": "Patient",')
    assert response.status_code == 400
    assert "JSON" in outcome(response)["issue"][0]["diagnostics"]
    assert nothing_written()


def test_wrong_resource_type_is_400(api):
    response = api.fhir("POST", "/fhir/Patient", {"resourceType": "Observation", "status": "final"})
    assert response.status_code == 400
    assert outcome(response)["issue"][0]["severity"] == "error"
    assert nothing_written()


def test_id_mismatch_between_url_and_body_is_400(api):
    response = api.fhir("PUT", "/fhir/Patient/abc", patient(id="xyz"))
    assert response.status_code == 400
    assert outcome(response)["issue"][0]["expression"] == ["Patient.id"]
    assert nothing_written()


def test_invalid_resource_is_422_with_locations(api):
    bad = patient(gender="sometimes", birthDate="25/12/1974")
    bad["name"][0]["given"] = "not-a-list"
    response = api.fhir("POST", "/fhir/Patient", bad)
    assert response.status_code == 422
    locations = {e for issue in outcome(response)["issue"] for e in issue.get("expression", [])}
    assert any(loc.startswith("Patient.birthDate") for loc in locations), locations
    assert nothing_written()


def test_unknown_element_is_422(api):
    response = api.fhir("POST", "/fhir/Patient", patient(favouriteColour="blue"))
    assert response.status_code == 422
    assert nothing_written()


def test_wrong_media_type_is_415(api):
    response = api.fhir("POST", "/fhir/Patient", "<Patient/>", content_type="application/xml")
    assert response.status_code == 415
    outcome(response)
    assert nothing_written()


def test_body_over_the_limit_is_413(api, settings):
    settings.FHIR_MAX_BODY_BYTES = 50 * 1024 * 1024
    big = patient(
        text={"status": "generated", "div": "<div>" + "x" * (50 * 1024 * 1024) + "</div>"}
    )
    response = api.fhir("POST", "/fhir/Patient", big)
    assert response.status_code == 413
    outcome(response)
    assert nothing_written()


def test_deeply_nested_json_is_400(api):
    depth = 5000
    body = '{"resourceType": "Patient", ' + '"extension": [{' * depth + "}]" * depth + "}"
    response = api.fhir("POST", "/fhir/Patient", body)
    assert response.status_code == 400
    assert "nested" in outcome(response)["issue"][0]["diagnostics"]
    assert nothing_written()


def test_method_not_allowed_is_405(api):
    response = api.fhir("PATCH", "/fhir/Patient", [])
    assert response.status_code == 405
    outcome(response)


def test_unknown_path_is_404_outcome(api):
    response = api.get("/fhir/Patient/1/2/3/4/5")
    assert response.status_code == 404
    outcome(response)


def test_anonymous_is_401_outcome(client):
    response = client.get("/fhir/Patient/1")
    assert response.status_code in (401, 403)
    outcome(response)


def test_an_unexpected_failure_is_a_500_outcome_without_a_trace(api, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("fhirapi.store.reads.record_read", explode)
    response = api.get("/fhir/Patient/1")
    assert response.status_code == 500
    body = outcome(response)
    assert "secret internals" not in response.content.decode()
    assert body["issue"][0]["code"] == "exception"
