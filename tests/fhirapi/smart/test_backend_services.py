"""SMART Backend Services: client credentials with a private_key_jwt assertion, signed by a key
pair made here (RS384 registered as a JWK Set, ES384 served from a JWKS URL)."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from jwcrypto import jwk, jwt

from fhirapi.smart.client_assertion import JWT_BEARER
from fhirapi.smart.services import smart_app_register
from tests.fhirapi.smart.conftest import fhir

pytestmark = pytest.mark.django_db

TOKEN_URL = "http://testserver/auth/token"


def assertion(key: jwk.JWK, client_id: str, alg: str = "RS384", **claims) -> str:
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "exp": int(time.time()) + 240,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    token = jwt.JWT(header={"alg": alg, "kid": key.kid, "typ": "JWT"}, claims=body)
    token.make_signed_token(key)
    return token.serialize()


def request_token(signed: str, scope: str = "system/*.rs"):
    return Client().post(
        "/auth/token",
        {
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": signed,
        },
    )


@pytest.fixture
def rsa_key() -> jwk.JWK:
    return jwk.JWK.generate(kty="RSA", size=2048, kid="rsa-1", alg="RS384")


@pytest.fixture
def monitor(db, rsa_key):
    public = {"keys": [json.loads(rsa_key.export_public())]}
    application, _ = smart_app_register(
        name="Bilirubin monitor", allowed_scopes="system/*.rs", backend=True, jwks=public
    )
    return application


def test_backend_token_reads_any_patient_but_cannot_write(monitor, rsa_key, charts):
    response = request_token(assertion(rsa_key, monitor.client_id))
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "system/*.rs"
    assert 0 < token["expires_in"] <= 300
    assert "refresh_token" not in token and "patient" not in token
    for chart in charts:
        read = fhir("GET", f"/fhir/Patient/{chart.patient_id}", token["access_token"])
        assert read.status_code == 200
    write = fhir("DELETE", f"/fhir/Patient/{charts[0].patient_id}", token["access_token"])
    assert write.status_code == 403


def test_a_replayed_jti_is_refused(monitor, rsa_key):
    signed = assertion(rsa_key, monitor.client_id)
    assert request_token(signed).status_code == 200
    replay = request_token(signed)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) + 600},  # more than five minutes ahead
        {"exp": int(time.time()) - 120},  # expired
        {"aud": "http://elsewhere.example/token"},
        {"sub": "someone-else"},
        {"jti": ""},
    ],
)
def test_bad_assertion_claims_are_refused(monitor, rsa_key, claims):
    response = request_token(assertion(rsa_key, monitor.client_id, **claims))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_key_the_client_did_not_register_is_refused(monitor):
    stranger = jwk.JWK.generate(kty="RSA", size=2048, kid="rsa-1", alg="RS384")
    assert request_token(assertion(stranger, monitor.client_id)).status_code == 401


def test_algorithms_other_than_rs384_and_es384_are_refused(monitor, rsa_key):
    response = request_token(assertion(rsa_key, monitor.client_id, alg="RS256"))
    assert response.status_code == 401


def test_backend_services_get_system_scopes_only(monitor, rsa_key):
    for scope in ("patient/*.rs", "user/*.rs", "openid", "system/*.cruds"):
        response = request_token(assertion(rsa_key, monitor.client_id), scope=scope)
        assert response.json()["error"] == "invalid_scope", scope


def test_a_backend_client_cannot_start_a_user_flow(monitor, browser):
    response = browser.get(f"/auth/authorize?response_type=code&client_id={monitor.client_id}")
    assert response.status_code == 400
    assert "code" not in response.get("Location", "")


@pytest.fixture
def jwks_server():
    """Serves a JWK Set at http://127.0.0.1:<port>/jwks.json, as a client would."""
    served: dict = {"keys": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(served).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()
    server.server_close()


def test_es384_keys_from_a_jwks_url(db, jwks_server, charts):
    served, url = jwks_server
    key = jwk.JWK.generate(kty="EC", crv="P-384", kid="ec-1")
    served["keys"] = [json.loads(key.export_public())]
    application, _ = smart_app_register(
        name="Registry feed", allowed_scopes="system/Patient.rs", backend=True, jwks_url=url
    )
    response = request_token(
        assertion(key, application.client_id, alg="ES384"), "system/Patient.rs"
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert fhir("GET", f"/fhir/Patient/{charts[0].patient_id}", token).status_code == 200
    observation = f"/fhir/Observation/{charts[0].observation_id}"
    assert fhir("GET", observation, token).status_code == 403

    jku = jwt.JWT(
        header={"alg": "ES384", "kid": "ec-1", "jku": "http://127.0.0.1:1/other.json"},
        claims={
            "iss": application.client_id,
            "sub": application.client_id,
            "aud": TOKEN_URL,
            "exp": int(time.time()) + 60,
            "jti": str(uuid.uuid4()),
        },
    )
    jku.make_signed_token(key)
    assert request_token(jku.serialize(), "system/Patient.rs").status_code == 401
