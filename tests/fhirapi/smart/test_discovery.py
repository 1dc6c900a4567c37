import pytest

pytestmark = pytest.mark.django_db

REQUIRED_CAPABILITIES = {
    "launch-ehr",
    "launch-standalone",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "context-ehr-patient",
    "context-ehr-encounter",
    "context-standalone-patient",
    "permission-v1",
    "permission-v2",
    "permission-patient",
    "permission-user",
    "sso-openid-connect",
    "authorize-post",
}


@pytest.mark.parametrize(
    "path", ["/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"]
)
def test_smart_configuration_is_json_for_anyone_at_both_places(anonymous_client, path):
    response = anonymous_client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    config = response.json()
    assert config["authorization_endpoint"] == "http://testserver/auth/authorize"
    assert config["token_endpoint"] == "http://testserver/auth/token"
    assert config["introspection_endpoint"] == "http://testserver/auth/introspect"
    assert config["revocation_endpoint"] == "http://testserver/auth/revoke"
    assert config["jwks_uri"] == "http://testserver/auth/jwks"
    assert config["issuer"] == "http://testserver"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert set(config["grant_types_supported"]) == {"authorization_code", "client_credentials"}
    assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]
    assert {"RS384", "ES384"} <= set(config["token_endpoint_auth_signing_alg_values_supported"])
    assert set(config["capabilities"]) >= REQUIRED_CAPABILITIES
    assert {"launch", "launch/patient", "openid", "fhirUser", "patient/*.rs"} <= set(
        config["scopes_supported"]
    )


def test_openid_configuration_names_the_same_issuer_and_an_rs256_key(anonymous_client):
    oidc = anonymous_client.get("/.well-known/openid-configuration").json()
    smart = anonymous_client.get("/.well-known/smart-configuration").json()
    assert oidc["issuer"] == smart["issuer"]
    assert "plain" not in oidc["code_challenge_methods_supported"]
    keys = anonymous_client.get(oidc["jwks_uri"].removeprefix("http://testserver")).json()["keys"]
    assert [key["alg"] for key in keys] == ["RS256"]
    assert keys[0]["kty"] == "RSA" and "d" not in keys[0]


def test_capability_statement_names_the_oauth_endpoints(anonymous_client):
    statement = anonymous_client.get("/fhir/metadata").json()
    security = statement["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    (oauth,) = security["extension"]
    assert oauth["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    urls = {item["url"]: item["valueUri"] for item in oauth["extension"]}
    assert urls["authorize"] == "http://testserver/auth/authorize"
    assert urls["token"] == "http://testserver/auth/token"
