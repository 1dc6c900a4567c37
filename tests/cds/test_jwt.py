import time
import uuid

import pytest
from jwcrypto import jwk, jwt

from cds.auth import CdsAuthError, verify_token
from cds.models import CdsClient
from tests.cds.helpers import FIXTURES, fixture, hook_request, post_json

ISSUER = "https://ehr.example.org"
ENDPOINT = "http://testserver/cds-services/care-gaps"
CONTEXT = {"userId": "Practitioner/doc", "patientId": "p1"}


@pytest.fixture
def key() -> jwk.JWK:
    return jwk.JWK.generate(kty="EC", crv="P-384", kid="ehr-key-1")


@pytest.fixture
def registered(db, key) -> CdsClient:
    jwks = {"keys": [key.export_public(as_dict=True)]}
    return CdsClient.objects.create(name="Example EHR", issuer=ISSUER, jwks=jwks)


def token(key: jwk.JWK, *, alg: str = "ES384", header: dict | None = None, **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": ENDPOINT,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    signed = jwt.JWT(
        header={"alg": alg, "typ": "JWT", "kid": key["kid"], **(header or {})},
        claims={**payload, **claims},
    )
    signed.make_signed_token(key)
    return signed.serialize()


def call(client, bearer: str):
    body = hook_request(
        "patient-view",
        CONTEXT,
        prefetch={
            "patient": None,
            "conditions": None,
            "hba1c": None,
            "bloodPressure": None,
            "immunizations": None,
        },
    )
    return post_json(client, "/cds-services/care-gaps", body, Authorization=f"Bearer {bearer}")


def test_a_valid_signed_request_is_accepted_once(client, registered, key):
    signed = token(key)
    assert call(client, signed).status_code == 200
    replay = call(client, signed)
    assert replay.status_code == 401
    assert "already used" in replay.json()["error"]


def test_aud_may_be_a_list(client, registered, key):
    assert call(client, token(key, aud=[ENDPOINT])).status_code == 200


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": "http://testserver/cds-services/other"}, "aud is not this endpoint"),
        ({"exp": int(time.time()) - 3600}, "has expired"),
        ({"iss": "https://stranger.example"}, "not a registered CDS client"),
        ({"jti": None}, "no jti"),
        ({"iat": int(time.time()) + 3600}, "issued in the future"),
    ],
)
def test_bad_claims_are_refused(client, registered, key, claims, message):
    response = call(client, token(key, **claims))
    assert response.status_code == 401
    assert message in response.json()["error"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_bad_signatures_and_headers_are_refused(client, registered, key):
    other = jwk.JWK.generate(kty="EC", crv="P-384", kid="ehr-key-1")
    assert "does not verify" in call(client, token(other)).json()["error"]
    shared = jwk.JWK.generate(kty="oct", size=256, kid="ehr-key-1")
    assert "not allowed" in call(client, token(shared, alg="HS256")).json()["error"]
    jku = {"jku": "https://evil.example/jwks.json"}
    assert "jku" in call(client, token(key, header=jku)).json()["error"]
    assert "well-formed" in call(client, "not.a.jwt").json()["error"]


def test_disabled_client_is_refused(client, registered, key):
    registered.enabled = False
    registered.save()
    assert call(client, token(key)).status_code == 401


def test_spec_example_token_verifies_but_has_expired(db):
    CdsClient.objects.create(
        name="Spec example",
        issuer="https://fhir-ehr.example.com/",
        jwks=fixture("spec201-24-example.json"),
        jwks_url="https://fhir-ehr.example.com/jwk_uri",
    )
    example = (FIXTURES / "spec201-example-jwt.txt").read_text().strip()
    with pytest.raises(CdsAuthError, match="has expired"):
        verify_token(example, audience="https://cds.example.org/cds-services/some-service")


def test_feedback_needs_the_same_trust(client, registered, key):
    body = fixture("spec201-20-example-overridden-guidance-without-overridereason.json")
    endpoint = "http://testserver/cds-services/care-gaps/feedback"
    response = post_json(
        client,
        "/cds-services/care-gaps/feedback",
        body,
        Authorization=f"Bearer {token(key, aud=endpoint)}",
    )
    assert response.status_code == 200
    assert post_json(client, "/cds-services/care-gaps/feedback", body).status_code == 401
