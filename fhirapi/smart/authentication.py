"""API authentication by SMART access tokens, and the Actor a request acts as.

A token this server issued authenticates its user (a Backend Services token: the client's
service-account user) and limits the request to its scopes and patient context. Bearer tokens it
did not issue are left to the next authentication class (the script tokens of `issue_token`,
which act with their user's rights). A person's rights (role, restricted charts: `user_actor`)
always apply; a Backend Services client, which acts for no person, is limited by its scopes."""

from django.contrib.auth.models import AbstractBaseUser
from oauth2_provider.models import AccessToken
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from fhirapi.services import Actor, user_actor
from fhirapi.smart.context import context_of
from fhirapi.smart.policy import ScopePolicy
from fhirapi.smart.scopes import resource_scopes
from fhirapi.smart.selectors import access_token_by_value
from fhirapi.smart.tokens import may_be_access_token


class SmartTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        value = parts[1].decode("latin-1")
        access = access_token_by_value(value) if may_be_access_token(value) else None
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
    if isinstance(request.auth, AccessToken):
        return token_actor(request.auth, user=request.user)
    return user_actor(request.user)


def token_actor(access: AccessToken, *, user: AbstractBaseUser) -> Actor:
    """The actor of a SMART token: its scopes and patient context, within its user's rights
    (a Backend Services token, `access.user` None, acts as its client's service account)."""
    scopes = access.scope.split()
    context = context_of(getattr(access, "smart_context", None))
    client_id = access.application.client_id if access.application else None
    policy = ScopePolicy(tuple(resource_scopes(scopes)), patient_id=context.patient_id or None)
    if access.user is None:
        return Actor(
            username=user.get_username(),
            client_id=client_id,
            scopes=frozenset(scopes),
            policy=policy,
        )
    return user_actor(access.user, client_id=client_id, scopes=frozenset(scopes), policy=policy)
