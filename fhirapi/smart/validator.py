"""django-oauth-toolkit's request validator with SMART's rules:

- scopes: each must follow SMART's grammar, name a real resource type, and lie within the app's
  registered scopes; Backend Services (client credentials) get `system/` scopes only, apps launched
  by a user anything but `system/`; `openid` needs OpenID Connect on;
- launch context: the authorization code carries the patient/encounter the launch established,
  each access token (refreshed ones too) carries it on, and the token response states it;
- refresh tokens only with `offline_access` or `online_access`;
- client authentication also by private_key_jwt (`client_assertion`);
- id tokens carry `fhirUser`."""

import logging
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749.utils import scope_to_list

from fhirapi.smart.client_assertion import (
    JWT_BEARER,
    InvalidClientAssertion,
    client_from_assertion,
)
from fhirapi.smart.context import NO_CONTEXT, context_of
from fhirapi.smart.models import GrantContext, TokenContext
from fhirapi.smart.practitioners import fhir_user_url
from fhirapi.smart.scopes import (
    REFRESH_SCOPES,
    InvalidScope,
    parse_resource_scope,
    scope_covered,
)
from fhirapi.store.resource_types import is_resource_type

logger = logging.getLogger(__name__)


class SmartOAuth2Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "fhirUser": "fhirUser"}

    # -- scopes --------------------------------------------------------------------------------

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        smart = getattr(client, "smart", None)
        if smart is None:
            return False
        allowed = smart.allowed_scopes.split()
        backend = request.grant_type == "client_credentials"
        if "openid" in scopes and not client.algorithm:
            return False  # no key to sign its id tokens with
        return all(
            scope_grantable(scope, backend=backend) and scope_covered(scope, allowed)
            for scope in scopes
        )

    def is_within_original_scope(self, request_scopes, refresh_token, request, *args, **kwargs):
        """A refresh may narrow the scopes (patient/*.rs -> patient/Patient.r), never widen them."""
        original = scope_to_list(self.get_original_scopes(refresh_token, request))
        return all(scope_covered(scope, original) for scope in request_scopes)

    def validate_bearer_token(self, token, scopes, request) -> bool:
        valid = super().validate_bearer_token(token, scopes, request)
        if valid:  # SMART scopes are a grammar: DOT's scope table does not list them
            request.scopes = request.access_token.scope.split()
        return valid

    # -- launch context ------------------------------------------------------------------------

    def _create_authorization_code(self, request, code, expires=None):
        grant = super()._create_authorization_code(request, code, expires)
        context = getattr(request, "smart_context", NO_CONTEXT)
        if context != NO_CONTEXT:
            GrantContext.objects.create(grant=grant, **context.fields())
        return grant

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if valid:
            row = GrantContext.objects.filter(grant__code=code, grant__application=client).first()
            request.smart_context = context_of(row)
        return valid

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if valid:
            access_token = request.refresh_token_instance.access_token
            row = TokenContext.objects.filter(access_token=access_token).first()
            request.smart_context = context_of(row)
        return valid

    def _save_bearer_token(self, token, request, *args, **kwargs):
        if not REFRESH_SCOPES & set(request.scopes or ()):
            token.pop("refresh_token", None)
        return super()._save_bearer_token(token, request, *args, **kwargs)

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        context = getattr(request, "smart_context", NO_CONTEXT)
        if context != NO_CONTEXT:
            TokenContext.objects.create(access_token=access_token, **context.fields())
            token.update(context.token_response())
        return access_token

    # -- client authentication -----------------------------------------------------------------

    def client_authentication_required(self, request, *args, **kwargs) -> bool:
        if _has_client_assertion(request):
            return True
        return super().client_authentication_required(request, *args, **kwargs)

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        if not _has_client_assertion(request):
            return super().authenticate_client(request, *args, **kwargs)
        if request.client_assertion_type != JWT_BEARER:
            return False
        try:
            client = client_from_assertion(
                request.client_assertion,
                token_url=absolute_url(request, urlsplit(request.uri).path),
            )
        except InvalidClientAssertion as exc:
            logger.info("client assertion refused: %s", exc)
            return False
        if request.client_id and request.client_id != client.client_id:
            return False
        request.client, request.client_id = client, client.client_id
        return True

    # -- OpenID Connect ------------------------------------------------------------------------

    def get_additional_claims(self, request) -> dict[str, Any]:
        return {"fhirUser": fhir_user_url(request.user, origin=absolute_url(request, "/"))}


def scope_grantable(scope: str, *, backend: bool) -> bool:
    """Whether the server grants `scope` at all: Backend Services only `system/` scopes, apps
    launched by a user no `system/` scopes; resource types must exist; `openid` needs OIDC."""
    try:
        parsed = parse_resource_scope(scope)
    except InvalidScope:
        return False
    if parsed is None:
        if scope in ("openid", "fhirUser") and not oauth2_settings.OIDC_ENABLED:
            return False
        return not backend
    if parsed.resource_type != "*" and not is_resource_type(parsed.resource_type):
        return False
    if parsed.constraints and parsed.resource_type == "*":
        return False
    return (parsed.level == "system") == backend


def _has_client_assertion(request: Request) -> bool:
    return bool(getattr(request, "client_assertion", None))


def absolute_url(request: Request, path: str) -> str:
    """`path` on this server, as the client reached it (scheme and host of the request)."""
    django_request = HttpRequest()
    django_request.META = dict(request.headers)
    secure = request.headers.get("X_DJANGO_OAUTH_TOOLKIT_SECURE")
    django_request._get_scheme = lambda: "https" if secure else "http"  # type: ignore[method-assign]
    return django_request.build_absolute_uri(path)
