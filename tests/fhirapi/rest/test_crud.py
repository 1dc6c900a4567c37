import pytest

from tests.fhirapi.conftest import observation, patient

pytestmark = pytest.mark.django_db


def test_create_assigns_id_version_and_location(api):
    response = api.fhir("POST", "/fhir/Patient", patient())
    assert response.status_code == 201
    body = response.json()
    assert body["id"] and body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"].endswith("Z")
    assert response["ETag"] == 'W/"1"'
    assert response["Location"].endswith(f"/fhir/Patient/{body['id']}/_history/1")
    assert response["Content-Type"].startswith("application/fhir+json")
    assert "Last-Modified" in response


def test_server_ignores_client_id_and_meta_version_on_create(api):
    body = api.fhir("POST", "/fhir/Patient", patient(id="mine", meta={"versionId": "9"})).json()
    assert body["id"] != "mine"
    assert body["meta"]["versionId"] == "1"


def test_read_returns_current_version(api):
    created = api.fhir("POST", "/fhir/Patient", patient()).json()
    response = api.fhir("GET", f"/fhir/Patient/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response["ETag"] == 'W/"1"'


def test_update_creates_new_version_and_vread_keeps_old(api):
    created = api.fhir("POST", "/fhir/Patient", patient()).json()
    pid = created["id"]
    changed = {**created, "gender": "female"}
    response = api.fhir("PUT", f"/fhir/Patient/{pid}", changed)
    assert response.status_code == 200
    assert response.json()["meta"]["versionId"] == "2"
    assert api.fhir("GET", f"/fhir/Patient/{pid}/_history/1").json()["gender"] == "male"
    assert api.fhir("GET", f"/fhir/Patient/{pid}/_history/2").json()["gender"] == "female"


def test_update_as_create_accepts_client_id(api):
    response = api.fhir("PUT", "/fhir/Patient/client-chosen-1", patient(id="client-chosen-1"))
    assert response.status_code == 201
    assert response.json()["id"] == "client-chosen-1"
    assert api.fhir("GET", "/fhir/Patient/client-chosen-1").status_code == 200


def test_delete_is_a_versioned_tombstone(api):
    pid = api.fhir("POST", "/fhir/Patient", patient()).json()["id"]
    deleted = api.fhir("DELETE", f"/fhir/Patient/{pid}")
    assert deleted.status_code == 200
    assert deleted["ETag"] == 'W/"2"'
    gone = api.fhir("GET", f"/fhir/Patient/{pid}")
    assert gone.status_code == 410
    assert gone.json()["resourceType"] == "OperationOutcome"
    assert api.fhir("GET", f"/fhir/Patient/{pid}/_history/1").status_code == 200
    assert api.fhir("GET", f"/fhir/Patient/{pid}/_history/2").status_code == 410
    revived = api.fhir("PUT", f"/fhir/Patient/{pid}", patient(id=pid))
    assert revived.status_code == 200
    assert revived.json()["meta"]["versionId"] == "3"


def test_unknown_resource_and_unknown_type_are_404(api):
    assert api.fhir("GET", "/fhir/Patient/nope").status_code == 404
    response = api.fhir("GET", "/fhir/Spaceship/1")
    assert response.status_code == 404
    assert "Spaceship" in response.json()["issue"][0]["diagnostics"]


def test_if_match_guards_update_and_delete(api):
    created = api.fhir("POST", "/fhir/Patient", patient()).json()
    pid = created["id"]
    stale = api.fhir("PUT", f"/fhir/Patient/{pid}", created, **{"If-Match": 'W/"7"'})
    assert stale.status_code == 412
    assert stale.json()["issue"][0]["code"] == "conflict"
    fresh = api.fhir("PUT", f"/fhir/Patient/{pid}", created, **{"If-Match": 'W/"1"'})
    assert fresh.status_code == 200
    assert api.fhir("DELETE", f"/fhir/Patient/{pid}", **{"If-Match": 'W/"1"'}).status_code == 412
    assert api.fhir("GET", f"/fhir/Patient/{pid}").json()["meta"]["versionId"] == "2"


def test_conditional_read_answers_304(api):
    response = api.fhir("POST", "/fhir/Patient", patient())
    pid = response.json()["id"]
    assert api.fhir("GET", f"/fhir/Patient/{pid}", **{"If-None-Match": 'W/"1"'}).status_code == 304
    assert api.fhir("GET", f"/fhir/Patient/{pid}", **{"If-None-Match": 'W/"0"'}).status_code == 200
    since = response["Last-Modified"]
    assert (
        api.fhir("GET", f"/fhir/Patient/{pid}", **{"If-Modified-Since": since}).status_code == 304
    )
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert api.fhir("GET", f"/fhir/Patient/{pid}", **{"If-Modified-Since": old}).status_code == 200


@pytest.mark.parametrize(
    ("prefer", "expect_type"),
    [
        ("return=minimal", None),
        ("return=representation", "Patient"),
        ("return=OperationOutcome", "OperationOutcome"),
    ],
)
def test_prefer_return(api, prefer, expect_type):
    response = api.fhir("POST", "/fhir/Patient", patient(), Prefer=prefer)
    assert response.status_code == 201
    assert "Location" in response
    if expect_type is None:
        assert response.content == b""
    else:
        assert response.json()["resourceType"] == expect_type


def test_references_must_exist_unless_lenient(api, settings):
    response = api.fhir("POST", "/fhir/Observation", observation("Patient/does-not-exist"))
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert "Patient/does-not-exist" in issue["diagnostics"]
    assert issue["expression"] == ["Observation.subject"]
    pid = api.fhir("POST", "/fhir/Patient", patient()).json()["id"]
    assert api.fhir("POST", "/fhir/Observation", observation(f"Patient/{pid}")).status_code == 201
    settings.FHIR_LENIENT_REFERENCES = True
    assert (
        api.fhir("POST", "/fhir/Observation", observation("Patient/elsewhere")).status_code == 201
    )


def test_pretty_and_format(api):
    pid = api.fhir("POST", "/fhir/Patient", patient()).json()["id"]
    pretty = api.get(f"/fhir/Patient/{pid}?_pretty=true")
    assert b"\n  " in pretty.content
    assert api.get(f"/fhir/Patient/{pid}?_format=json").status_code == 200
    assert api.get(f"/fhir/Patient/{pid}?_format=xml").status_code == 406
