"""EHR launch: the EHR creates a launch for a patient, the app asks for authorization with it, the
signed-in user approves, and the token is bound to that patient."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from jwcrypto import jwk, jwt

from fhirapi.smart.models import Launch
from fhirapi.smart.services import launch_create, smart_launch_url
from tests.fhirapi.smart.conftest import FHIR_BASE, fhir, redirect_params

pytestmark = pytest.mark.django_db

SCOPE = "launch openid fhirUser offline_access patient/*.rs"


def test_launch_url_carries_iss_and_the_opaque_launch_id(app, clinician, charts):
    launch_id = launch_create(user=clinician, patient_id=charts[0].patient_id)
    url = smart_launch_url(app.smart, launch_id, iss=FHIR_BASE)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:9753/launch"
    assert parse_qs(parts.query) == {"iss": [FHIR_BASE], "launch": [launch_id]}
    assert charts[0].patient_id not in launch_id


def test_ehr_launch_token_carries_the_patient_and_reads_only_that_patient(flow, clinician, charts):
    mine, other = charts
    launch_id = launch_create(user=clinician, patient_id=mine.patient_id, encounter_id="enc-1")
    token = flow.token(SCOPE, launch=launch_id)
    assert token["patient"] == mine.patient_id
    assert token["encounter"] == "enc-1"
    assert token["need_patient_banner"] is True
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == set(SCOPE.split())
    assert token["refresh_token"]

    read = fhir("GET", f"/fhir/Patient/{mine.patient_id}", token["access_token"])
    assert read.status_code == 200
    assert read.json()["name"][0]["family"] == mine.family

    refused = fhir("GET", f"/fhir/Patient/{other.patient_id}", token["access_token"])
    assert refused.status_code == 403
    outcome = refused.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "forbidden"
    assert other.family not in refused.content.decode()


def test_id_token_is_rs256_signed_by_the_published_key_and_names_the_user(flow, clinician, charts):
    launch_id = launch_create(user=clinician, patient_id=charts[0].patient_id)
    token = flow.token(SCOPE, launch=launch_id)
    keys = jwk.JWKSet.from_json(Client().get("/auth/jwks").content)
    id_token = jwt.JWT(jwt=token["id_token"], key=keys, algs=["RS256"])
    claims = json.loads(id_token.claims)
    assert claims["aud"] == flow.client_id
    assert claims["iss"] == "http://testserver"
    assert claims["sub"] == str(clinician.pk)
    assert claims["fhirUser"] == f"http://testserver/fhir/Practitioner/wintehr-user-{clinician.pk}"


def test_fhir_user_is_the_linked_practitioner(flow, clinician, charts):
    practitioner = fhir_create_practitioner(clinician.username)
    launch_id = launch_create(user=clinician, patient_id=charts[0].patient_id)
    token = flow.token(SCOPE, launch=launch_id)
    claims = json.loads(jwt.JWT(jwt=token["id_token"]).token.objects["payload"])
    assert claims["fhirUser"] == f"http://testserver/fhir/Practitioner/{practitioner}"


def fhir_create_practitioner(username: str) -> str:
    from fhirapi.services import FhirRepository

    resource = {
        "resourceType": "Practitioner",
        "identifier": [{"system": "urn:wintehr:username", "value": username}],
        "name": [{"family": "Smart"}],
    }
    return FhirRepository().create(resource).stored.resource_id


def test_another_users_launch_is_refused(flow, charts, django_user_model):
    someone = django_user_model.objects.create_user("someone-else")
    launch_id = launch_create(user=someone, patient_id=charts[0].patient_id)
    response = flow.browser.get(flow.authorize_url(SCOPE, launch=launch_id))
    params = redirect_params(response)
    assert params["error"] == "invalid_request"
    assert params["state"] == "state-123"
    assert "code" not in params


def test_an_expired_launch_is_refused(flow, clinician, charts):
    launch_id = launch_create(user=clinician, patient_id=charts[0].patient_id)
    Launch.objects.filter(id=launch_id).update(expires=timezone.now() - timedelta(seconds=1))
    response = flow.browser.get(flow.authorize_url(SCOPE, launch=launch_id))
    assert redirect_params(response)["error"] == "invalid_request"


def test_the_launch_scope_needs_a_launch_id(flow):
    response = flow.browser.get(flow.authorize_url(SCOPE))
    assert redirect_params(response)["error"] == "invalid_request"


def test_a_user_who_denies_sends_the_app_access_denied(flow, clinician, charts):
    launch_id = launch_create(user=clinician, patient_id=charts[0].patient_id)
    page = flow.browser.get(flow.authorize_url(SCOPE, launch=launch_id))
    params = redirect_params(flow.approve(page, allow=False))
    assert params["error"] == "access_denied"
    assert "code" not in params


def test_signing_in_comes_first(app, charts):
    from tests.fhirapi.smart.conftest import Flow

    anonymous = Flow(browser=Client(), client_id=app.client_id)
    response = anonymous.browser.get(anonymous.authorize_url(SCOPE, launch="x"))
    assert response.status_code == 302
    assert "/auth/authorize" in parse_qs(urlsplit(response["Location"]).query)["next"][0]


def test_fhir_user_names_a_practitioner_the_app_can_read(flow, clinician, charts):
    launch_id = launch_create(user=clinician, patient_id=charts[0].patient_id)
    token = flow.token(SCOPE, launch=launch_id)
    claims = json.loads(jwt.JWT(jwt=token["id_token"]).token.objects["payload"])
    path = urlsplit(claims["fhirUser"]).path
    assert path.startswith("/fhir/Practitioner/")
    response = fhir("GET", path, token["access_token"])
    assert response.status_code == 200, response.content[:300]
    practitioner = response.json()
    assert practitioner["resourceType"] == "Practitioner"
    assert {"system": "urn:wintehr:username", "value": clinician.username} in practitioner[
        "identifier"
    ]
    again = flow.token(SCOPE, launch=launch_create(user=clinician, patient_id=charts[0].patient_id))
    assert (
        json.loads(jwt.JWT(jwt=again["id_token"]).token.objects["payload"])["fhirUser"]
        == (claims["fhirUser"])
    )  # one Practitioner per user, not one per sign-in
