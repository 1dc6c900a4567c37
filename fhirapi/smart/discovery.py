"""What this server tells SMART clients about itself: `.well-known/smart-configuration` and the
oauth-uris extension of the CapabilityStatement's security section."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from oauth2_provider.settings import oauth2_settings

from fhirapi.smart.client_assertion import ALGORITHM_KEY_TYPES
from fhirapi.smart.scope_backend import supported_scopes

CAPABILITIES = [
    "launch-ehr",
    "launch-standalone",
    "authorize-post",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "context-banner",
    "context-ehr-patient",
    "context-ehr-encounter",
    "context-standalone-patient",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
]
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def endpoint(request: HttpRequest, name: str) -> str:
    return request.build_absolute_uri(reverse(f"oauth2_provider:{name}"))


def smart_configuration(request: HttpRequest) -> dict[str, Any]:
    document: dict[str, Any] = {
        "authorization_endpoint": endpoint(request, "authorize"),
        "token_endpoint": endpoint(request, "token"),
        "introspection_endpoint": endpoint(request, "introspect"),
        "revocation_endpoint": endpoint(request, "revoke-token"),
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHM_KEY_TYPES),
        "scopes_supported": supported_scopes(),
        "capabilities": CAPABILITIES,
    }
    if oauth2_settings.OIDC_ENABLED:
        document["issuer"] = oauth2_settings.oidc_issuer(request)
        document["jwks_uri"] = endpoint(request, "jwks-info")
        document["capabilities"] = [*CAPABILITIES, "sso-openid-connect"]
    return document


def capability_security(request: HttpRequest) -> dict[str, Any]:
    """CapabilityStatement.rest.security: SMART on FHIR, with the OAuth endpoints."""
    urls = {
        "authorize": endpoint(request, "authorize"),
        "token": endpoint(request, "token"),
        "introspect": endpoint(request, "introspect"),
        "revoke": endpoint(request, "revoke-token"),
    }
    return {
        "service": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "SMART-on-FHIR",
                    }
                ]
            }
        ],
        "extension": [
            {
                "url": OAUTH_URIS,
                "extension": [{"url": name, "valueUri": url} for name, url in urls.items()],
            }
        ],
    }
