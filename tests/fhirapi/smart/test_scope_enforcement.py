"""Every FHIR interaction is held to the token's scopes: the permission letter, the resource type,
the patient's compartment for patient-context tokens, and v2 search constraints."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.authtoken.models import Token

from fhirapi.bulk.exporter import NDJSON
from fhirapi.smart.services import launch_create
from tests.fhirapi.conftest import observation
from tests.fhirapi.smart.conftest import fhir

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_token(flow, clinician, charts):
    """A token bound to the first chart's patient, allowed to do anything with its data."""

    def issue(scope: str = "launch patient/*.cruds") -> str:
        launch = launch_create(user=clinician, patient_id=charts[0].patient_id)
        return flow.token(scope, launch=launch)["access_token"]

    return issue


def assert_refused(response, *secrets: str) -> None:
    assert response.status_code == 403, response.content
    body = response.content.decode()
    assert response.json()["resourceType"] == "OperationOutcome"
    for secret in secrets:
        assert secret not in body


def test_reads_outside_the_patient_are_refused(patient_token, charts):
    token = patient_token()
    mine, other = charts
    assert fhir("GET", f"/fhir/Observation/{mine.observation_id}", token).status_code == 200
    assert (
        fhir("GET", f"/fhir/Observation/{mine.observation_id}/_history/1", token).status_code == 200
    )
    assert_refused(
        fhir("GET", f"/fhir/Observation/{other.observation_id}", token), other.patient_id
    )
    assert_refused(
        fhir("GET", f"/fhir/Observation/{other.observation_id}/_history/1", token), other.patient_id
    )
    assert_refused(fhir("GET", f"/fhir/Patient/{other.patient_id}", token), other.family)


def test_history_of_the_patients_own_resource_is_allowed_and_of_others_refused(
    patient_token, charts
):
    token = patient_token()
    mine, other = charts
    own = fhir("GET", f"/fhir/Observation/{mine.observation_id}/_history", token)
    assert own.status_code == 200
    assert own.json()["total"] == 1
    assert_refused(fhir("GET", f"/fhir/Observation/{other.observation_id}/_history", token))
    assert_refused(fhir("GET", "/fhir/Observation/_history", token))
    assert_refused(fhir("GET", "/fhir/_history", token))


def test_a_resource_moved_away_from_the_patient_keeps_its_history_closed(patient_token, charts):
    token = patient_token()
    mine, other = charts
    path = f"/fhir/Observation/{other.observation_id}"
    moved = {**fhir("GET", path, patient_token("launch user/*.cruds")).json()}
    moved["subject"] = {"reference": f"Patient/{mine.patient_id}"}
    # a user-level token may move it (the clinician's own rights apply)
    assert fhir("PUT", path, patient_token("launch user/*.cruds"), moved).status_code == 200
    assert fhir("GET", path, token).status_code == 200
    assert_refused(fhir("GET", f"{path}/_history", token), other.patient_id)


def test_writes_outside_the_patient_are_refused(patient_token, charts):
    token = patient_token()
    mine, other = charts
    created = fhir("POST", "/fhir/Observation", token, observation(f"Patient/{mine.patient_id}"))
    assert created.status_code == 201
    assert_refused(
        fhir("POST", "/fhir/Observation", token, observation(f"Patient/{other.patient_id}"))
    )
    assert_refused(fhir("POST", "/fhir/Patient", token, {"resourceType": "Patient"}))

    own_path = f"/fhir/Observation/{mine.observation_id}"
    own = fhir("GET", own_path, token).json()
    moved = {**own, "subject": {"reference": f"Patient/{other.patient_id}"}}
    assert_refused(fhir("PUT", own_path, token, moved))

    other_path = f"/fhir/Observation/{other.observation_id}"
    taken = {**own, "id": other.observation_id}
    assert_refused(fhir("PUT", other_path, token, taken))
    assert_refused(fhir("DELETE", other_path, token))
    patch = [{"op": "replace", "path": "/status", "value": "amended"}]
    response = fhir_patch(other_path, token, patch)
    assert_refused(response)
    assert fhir("DELETE", own_path, token).status_code == 200


def fhir_patch(path: str, token: str, patch: list):
    import json

    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.patch(path, json.dumps(patch), content_type="application/json-patch+json")


def test_a_transaction_touching_another_patient_is_refused_whole(patient_token, charts):
    token = patient_token()
    mine, other = charts
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": observation(f"Patient/{mine.patient_id}"),
                "request": {"method": "POST", "url": "Observation"},
            },
            {
                "resource": observation(f"Patient/{other.patient_id}"),
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    assert_refused(fhir("POST", "/fhir", token, bundle))
    history = fhir("GET", "/fhir/Observation/_history", patient_token("launch user/*.rs"))
    assert history.json()["total"] == 4  # nothing was written


def search_ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    entries = response.json().get("entry", [])
    return {
        e["resource"]["id"] for e in entries if e["resource"]["resourceType"] != "OperationOutcome"
    }


def test_searches_stay_within_the_patient(patient_token, charts):
    token = patient_token()
    mine, other = charts
    own = {mine.observation_id, mine.vitals_id}
    assert search_ids(fhir("GET", "/fhir/Observation", token)) == own
    assert search_ids(fhir("GET", "/fhir/Observation?code=8480-6", token)) == own
    assert search_ids(fhir("GET", f"/fhir/Observation?patient={mine.patient_id}", token)) == own
    theirs = fhir("GET", f"/fhir/Observation?patient=Patient/{other.patient_id}", token)
    assert search_ids(theirs) == set()
    assert other.observation_id not in theirs.content.decode()
    assert search_ids(fhir("GET", f"/fhir/Patient?_id={other.patient_id}", token)) == set()
    assert search_ids(fhir("GET", "/fhir/Patient", token)) == {mine.patient_id}
    everything = fhir("GET", "/fhir?_type=Observation,Patient", token)
    assert search_ids(everything) == own | {mine.patient_id}
    compartment = fhir("GET", f"/fhir/Patient/{other.patient_id}/Observation", token)
    assert search_ids(compartment) == set()


def test_searches_beyond_the_scopes_are_refused(patient_token, charts):
    token = patient_token("launch patient/Observation.rs")
    assert_refused(fhir("GET", "/fhir?_type=Observation", token))
    assert_refused(fhir("GET", "/fhir/Condition", token))
    constrained = patient_token(
        "launch patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
        "observation-category|laboratory"
    )
    found = search_ids(fhir("GET", "/fhir/Observation", constrained))
    assert found == {charts[0].observation_id}


def test_the_permission_letters_and_types_are_enforced(patient_token, charts):
    mine, _ = charts
    observations_only = patient_token("launch patient/Observation.rs")
    assert (
        fhir("GET", f"/fhir/Observation/{mine.observation_id}", observations_only).status_code
        == 200
    )
    assert_refused(fhir("GET", f"/fhir/Patient/{mine.patient_id}", observations_only))
    assert_refused(
        fhir(
            "POST",
            "/fhir/Observation",
            observations_only,
            observation(f"Patient/{mine.patient_id}"),
        )
    )
    create_only = patient_token("launch patient/Observation.c")
    assert_refused(fhir("GET", f"/fhir/Observation/{mine.observation_id}", create_only))
    v1_read = patient_token("launch patient/*.read")
    assert fhir("GET", f"/fhir/Patient/{mine.patient_id}", v1_read).status_code == 200
    assert_refused(fhir("DELETE", f"/fhir/Observation/{mine.observation_id}", v1_read))


def test_a_v2_constraint_admits_only_matching_resources(patient_token, charts):
    mine, _ = charts
    token = patient_token(
        "launch patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
        "observation-category|laboratory"
    )
    assert fhir("GET", f"/fhir/Observation/{mine.observation_id}", token).status_code == 200
    assert_refused(fhir("GET", f"/fhir/Observation/{mine.vitals_id}", token))


def test_user_scopes_reach_every_patient_within_their_letters(patient_token, charts):
    token = patient_token("launch user/Observation.rs user/Patient.r")
    for chart in charts:
        assert fhir("GET", f"/fhir/Observation/{chart.observation_id}", token).status_code == 200
    assert_refused(
        fhir("POST", "/fhir/Observation", token, observation(f"Patient/{charts[1].patient_id}"))
    )
    assert fhir("GET", "/fhir/Observation/_history", token).status_code == 200  # s: type history
    assert_refused(fhir("GET", "/fhir/Patient/_history", token))  # Patient.r has no s


def test_shared_resources_are_readable_with_patient_scopes_but_not_writable(patient_token):
    token = patient_token("launch user/Practitioner.c patient/*.cruds")
    created = fhir("POST", "/fhir/Practitioner", token, {"resourceType": "Practitioner"})
    assert created.status_code == 201
    practitioner = created.json()["id"]
    reader = patient_token("launch patient/*.cruds")
    assert fhir("GET", f"/fhir/Practitioner/{practitioner}", reader).status_code == 200
    assert_refused(fhir("DELETE", f"/fhir/Practitioner/{practitioner}", reader))


def test_identity_only_tokens_read_nothing(patient_token, charts):
    token = patient_token("launch openid fhirUser")
    assert_refused(fhir("GET", f"/fhir/Patient/{charts[0].patient_id}", token))
    assert fhir("GET", "/fhir/metadata", token).status_code == 200


def test_script_tokens_keep_their_users_full_rights(clinician, charts):
    key = Token.objects.create(user=clinician).key
    for chart in charts:
        assert fhir("GET", f"/fhir/Patient/{chart.patient_id}", key).status_code == 200


def test_an_unknown_bearer_token_is_unauthorized(charts):
    response = fhir("GET", f"/fhir/Patient/{charts[0].patient_id}", "not-a-token")
    assert response.status_code == 401


def token_export(token: str, path: str, capture) -> dict[str, list[dict]]:
    """Kick off a Bulk Data export with the token; the files' resources by type."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with capture(execute=True):
        kicked = client.get(path, HTTP_PREFER="respond-async")
    assert kicked.status_code == 202, kicked.content
    manifest = client.get(kicked["Content-Location"]).json()
    files = {}
    for output in manifest["output"]:
        body = b"".join(client.get(output["url"], HTTP_ACCEPT=NDJSON).streaming_content)
        files[output["type"]] = [json.loads(line) for line in body.splitlines()]
    return files


@pytest.fixture
def exporting(clinician, settings, tmp_path):
    settings.FHIR_EXPORT_DIR = tmp_path
    clinician.user_permissions.add(Permission.objects.get(codename="add_exportjob"))


def test_a_patient_token_exports_its_patient_only(
    exporting, patient_token, charts, django_capture_on_commit_callbacks
):
    mine, _ = charts
    token = patient_token("launch patient/*.rs")

    files = token_export(token, "/fhir/Patient/$export", django_capture_on_commit_callbacks)

    assert [p["id"] for p in files["Patient"]] == [mine.patient_id]
    assert {o["id"] for o in files["Observation"]} == {mine.observation_id, mine.vitals_id}
    filtered = token_export(
        token,
        "/fhir/Patient/$export?_type=Observation&_typeFilter=Observation%3Fstatus%3Dfinal",
        django_capture_on_commit_callbacks,
    )
    assert {o["id"] for o in filtered["Observation"]} == {mine.observation_id, mine.vitals_id}


def test_an_export_keeps_to_the_scopes_constraints(
    exporting, patient_token, charts, django_capture_on_commit_callbacks
):
    mine, _ = charts
    token = patient_token(
        "launch patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
        "observation-category|laboratory"
    )

    files = token_export(
        token, "/fhir/Patient/$export?_type=Observation", django_capture_on_commit_callbacks
    )

    assert [o["id"] for o in files["Observation"]] == [mine.observation_id]
    everything = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(
        "/fhir/Patient/$export", HTTP_PREFER="respond-async"
    )
    assert everything.status_code == 403
