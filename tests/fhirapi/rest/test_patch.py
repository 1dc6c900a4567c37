import pytest

from tests.fhirapi.conftest import patient

pytestmark = pytest.mark.django_db

JSON_PATCH = "application/json-patch+json"


def created(api) -> dict:
    return api.fhir("POST", "/fhir/Patient", patient()).json()


def test_json_patch_makes_a_new_version(api):
    pid = created(api)["id"]
    ops = [
        {"op": "replace", "path": "/gender", "value": "female"},
        {"op": "add", "path": "/name/0/given/-", "value": "Jo"},
    ]
    response = api.fhir("PATCH", f"/fhir/Patient/{pid}", ops, content_type=JSON_PATCH)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["gender"] == "female"
    assert body["name"][0]["given"] == ["Peter", "James", "Jo"]
    assert body["meta"]["versionId"] == "2"
    history = api.get(f"/fhir/Patient/{pid}/_history").json()
    assert history["entry"][0]["request"]["method"] == "PATCH"


def test_fhirpath_patch_with_parameters(api):
    pid = created(api)["id"]
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "replace"},
                    {"name": "path", "valueString": "Patient.birthDate"},
                    {"name": "value", "valueDate": "1975-01-01"},
                ],
            }
        ],
    }
    response = api.fhir("PATCH", f"/fhir/Patient/{pid}", parameters)
    assert response.status_code == 200, response.json()
    assert response.json()["birthDate"] == "1975-01-01"


def test_patch_honours_if_match_and_validates_the_result(api):
    pid = created(api)["id"]
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    stale = api.fhir(
        "PATCH", f"/fhir/Patient/{pid}", ops, content_type=JSON_PATCH, **{"If-Match": 'W/"9"'}
    )
    assert stale.status_code == 412
    invalid = [{"op": "replace", "path": "/birthDate", "value": "sometime in May"}]
    refused = api.fhir("PATCH", f"/fhir/Patient/{pid}", invalid, content_type=JSON_PATCH)
    assert refused.status_code == 422
    failing_test = [{"op": "test", "path": "/gender", "value": "female"}]
    assert (
        api.fhir("PATCH", f"/fhir/Patient/{pid}", failing_test, content_type=JSON_PATCH).status_code
        == 422
    )
    assert api.get(f"/fhir/Patient/{pid}").json()["meta"]["versionId"] == "1"


def test_patch_of_unknown_or_deleted_resource(api):
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    assert api.fhir("PATCH", "/fhir/Patient/none", ops, content_type=JSON_PATCH).status_code == 404
    pid = created(api)["id"]
    api.fhir("DELETE", f"/fhir/Patient/{pid}")
    assert (
        api.fhir("PATCH", f"/fhir/Patient/{pid}", ops, content_type=JSON_PATCH).status_code == 410
    )
