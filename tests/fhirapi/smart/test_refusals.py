"""What the authorization server refuses: a wrong audience, PKCE other than S256 or a wrong
verifier, scopes beyond the registration, expired and revoked tokens, scope escalation on
refresh."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from fhirapi.smart.services import launch_create
from tests.fhirapi.smart.conftest import fhir, redirect_params

pytestmark = pytest.mark.django_db

SCOPE = "launch offline_access patient/*.rs"


@pytest.fixture
def launch(clinician, charts) -> str:
    return launch_create(user=clinician, patient_id=charts[0].patient_id)


@pytest.mark.parametrize(
    "aud", ["http://elsewhere.example/fhir", "http://testserver/fhir/Patient", "", None]
)
def test_an_audience_other_than_this_fhir_server_is_refused(flow, launch, aud):
    response = flow.browser.get(flow.authorize_url(SCOPE, launch=launch, aud=aud))
    params = redirect_params(response)
    assert params["error"] == "invalid_request"
    assert "aud" in params["error_description"]


def test_the_configured_fhir_base_is_an_accepted_audience(flow, launch, settings):
    settings.FHIR_BASE_URL = "https://ehr.example.org/fhir"
    page = flow.browser.get(flow.authorize_url(SCOPE, launch=launch, aud=settings.FHIR_BASE_URL))
    assert page.status_code == 200


def test_plain_pkce_is_refused(flow, launch):
    url = flow.authorize_url(SCOPE, launch=launch, code_challenge="x" * 43)
    url = url.replace("code_challenge_method=S256", "code_challenge_method=plain")
    params = redirect_params(flow.browser.get(url))
    assert params["error"] == "invalid_request"
    assert "code" not in params


def test_pkce_is_required(flow, launch):
    url = flow.authorize_url(SCOPE, launch=launch, code_challenge=None, code_challenge_method=None)
    assert redirect_params(flow.browser.get(url))["error"] == "invalid_request"


def test_a_wrong_code_verifier_is_refused_and_the_code_is_then_useless(flow, launch):
    code = flow.code(SCOPE, launch=launch)
    wrong = flow.exchange(code, verifier="a-verifier-that-was-never-hashed-into-the-challenge-xyz")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"


def test_a_code_is_used_once(flow, launch):
    code = flow.code(SCOPE, launch=launch)
    assert flow.exchange(code).status_code == 200
    assert flow.exchange(code).json()["error"] == "invalid_grant"


def test_scopes_beyond_the_registration_are_refused(flow, launch):
    response = flow.browser.get(flow.authorize_url("launch system/*.rs", launch=launch))
    assert redirect_params(response)["error"] == "invalid_scope"


@pytest.mark.parametrize("scope", ["patient/Observation.dus", "patient/Nonsense.rs", "System/*.rs"])
def test_scopes_outside_the_grammar_are_refused(flow, launch, scope):
    response = flow.browser.get(flow.authorize_url(f"launch {scope}", launch=launch))
    assert redirect_params(response)["error"] == "invalid_scope"


def test_an_expired_access_token_is_refused(flow, launch, charts):
    token = flow.token(SCOPE, launch=launch)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = fhir("GET", f"/fhir/Patient/{charts[0].patient_id}", token["access_token"])
    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_access_token_is_refused(flow, launch, charts):
    token = flow.token(SCOPE, launch=launch)
    revoked = Client().post(
        "/auth/revoke", {"token": token["access_token"], "client_id": flow.client_id}
    )
    assert revoked.status_code == 200
    response = fhir("GET", f"/fhir/Patient/{charts[0].patient_id}", token["access_token"])
    assert response.status_code == 401
    # revoking the access token revokes its refresh token too
    assert flow.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_keeps_the_patient_and_may_narrow_the_scopes(flow, launch, charts):
    token = flow.token(SCOPE, launch=launch)
    response = flow.refresh(token["refresh_token"], scope="offline_access patient/Patient.r")
    assert response.status_code == 200
    refreshed = response.json()
    assert refreshed["patient"] == charts[0].patient_id
    assert refreshed["scope"] == "offline_access patient/Patient.r"
    assert refreshed["refresh_token"] != token["refresh_token"]
    own = fhir("GET", f"/fhir/Patient/{charts[0].patient_id}", refreshed["access_token"])
    assert own.status_code == 200
    observation = f"/fhir/Observation/{charts[0].observation_id}"
    assert fhir("GET", observation, refreshed["access_token"]).status_code == 403


def test_scope_escalation_on_refresh_is_refused(flow, launch):
    token = flow.token(SCOPE, launch=launch)
    response = flow.refresh(token["refresh_token"], scope="offline_access patient/*.cruds")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_rotated_refresh_token_is_not_accepted_again(flow, launch):
    token = flow.token(SCOPE, launch=launch)
    assert flow.refresh(token["refresh_token"]).status_code == 200
    assert flow.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"


def test_issued_tokens_carry_their_prefix_and_only_prefixed_values_are_looked_up(flow, launch):
    token = flow.token(SCOPE, launch=launch)
    assert token["access_token"].startswith("wsa_")
    assert token["refresh_token"].startswith("wsr_")
    assert fhir("GET", "/fhir/Patient", token["access_token"]).status_code == 200
    # the same value without its prefix is nobody's token
    unprefixed = token["access_token"].removeprefix("wsa_")
    assert fhir("GET", "/fhir/Patient", unprefixed).status_code == 401
