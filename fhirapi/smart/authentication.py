"""API authentication by SMART access tokens, and the Actor a request acts as.

A token this server issued authenticates its user (a Backend Services token: the client's
service-account user) and limits the request to its scopes and patient context. Bearer tokens it
did not issue are left to the next authentication class (the script tokens of `issue_token`,
which act with their user's full rights)."""

from oauth2_provider.models import AccessToken
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from fhirapi.services import Actor
from fhirapi.smart.context import context_of
from fhirapi.smart.policy import ScopePolicy
from fhirapi.smart.scopes import resource_scopes
from fhirapi.smart.selectors import access_token_by_value


class SmartTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        access = access_token_by_value(parts[1].decode("latin-1"))
        if access is None:
            return None
        if access.is_expired():
            raise AuthenticationFailed("the access token has expired")
        user = access.user or (access.application.user if access.application else None)
        if user is None or not user.is_active:
            raise AuthenticationFailed("the access token's user is not active")
        return user, access

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="fhir"'


def request_actor(request: Request) -> Actor:
    username = request.user.get_username()
    if isinstance(request.auth, AccessToken):
        return token_actor(request.auth, username=username)
    return Actor(username=username)


def token_actor(access: AccessToken, *, username: str) -> Actor:
    scopes = access.scope.split()
    context = context_of(getattr(access, "smart_context", None))
    return Actor(
        username=username,
        client_id=access.application.client_id if access.application else None,
        scopes=frozenset(scopes),
        policy=ScopePolicy(tuple(resource_scopes(scopes)), patient_id=context.patient_id or None),
    )
