"""Token introspection (RFC 7662 with SMART's fields)."""

import pytest
from django.test import Client

from fhirapi.smart.services import launch_create

pytestmark = pytest.mark.django_db

SCOPE = "launch openid fhirUser patient/*.rs"


@pytest.fixture
def token(flow, clinician, charts) -> dict:
    launch = launch_create(user=clinician, patient_id=charts[0].patient_id)
    return flow.token(SCOPE, launch=launch)


def introspect(value: str, *, bearer: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if bearer else {}
    return Client(**headers).post("/auth/introspect", {"token": value})


def test_an_active_token_states_its_scopes_client_patient_and_user(token, flow, charts, clinician):
    response = introspect(token["access_token"], bearer=token["access_token"])
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["scope"] == token["scope"]
    assert body["client_id"] == flow.client_id
    assert body["patient"] == charts[0].patient_id
    assert isinstance(body["exp"], int)
    assert body["iss"] == "http://testserver"
    assert body["sub"] == str(clinician.pk)
    assert body["fhirUser"] == f"http://testserver/fhir/Practitioner/wintehr-user-{clinician.pk}"


def test_a_revoked_or_unknown_token_is_inactive(token, flow):
    Client().post("/auth/revoke", {"token": token["access_token"], "client_id": flow.client_id})
    fresh = flow.token("user/Patient.r")["access_token"]
    assert introspect(token["access_token"], bearer=fresh).json() == {"active": False}
    assert introspect("made-up", bearer=fresh).json() == {"active": False}


def test_introspection_needs_a_caller(token):
    assert introspect(token["access_token"], bearer=None).status_code == 401
    assert introspect(token["access_token"], bearer="made-up").status_code == 401
