"""API authentication by SMART access tokens, and the Actor a request acts as.

A token this server issued authenticates its user (a Backend Services token: the client's
service-account user) and limits the request to its scopes and patient context. Bearer tokens it
did not issue are left to the next authentication class (the script tokens of `issue_token`,
which act with their user's rights). A person's rights (role, restricted charts: `user_actor`)
always apply; a Backend Services client, which acts for no person, is limited by its scopes."""

from typing import Any

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
    return granted_actor(
        user,
        {
            "client_id": access.application.client_id if access.application else None,
            "scopes": access.scope.split(),
            "patient_id": context_of(getattr(access, "smart_context", None)).patient_id,
            "service_account": access.user is None,
        },
    )


def actor_grant(actor: Actor) -> dict[str, Any]:
    """What a token granted the actor, as JSON to keep with work the actor starts and that runs
    later (an export, a Subscription's notifications); {} for a person acting without a token."""
    if actor.client_id is None and not actor.scopes:
        return {}
    return {
        "client_id": actor.client_id,
        "scopes": sorted(actor.scopes),
        "patient_id": actor.patient_id or "",
        "service_account": actor.service_account,
    }


def granted_actor(user: AbstractBaseUser, grant: dict[str, Any]) -> Actor:
    """The actor `user` acts as under `grant` (`actor_grant`'s JSON): the same one again."""
    if not grant:
        return user_actor(user)
    scopes = frozenset(grant["scopes"])
    grants = tuple(resource_scopes(grant["scopes"]))
    policy = ScopePolicy(grants, patient_id=grant["patient_id"] or None)
    if grant["service_account"]:
        return Actor(
            username=user.get_username(),
            client_id=grant["client_id"],
            scopes=scopes,
            policy=policy,
            service_account=True,
        )
    return user_actor(user, client_id=grant["client_id"], scopes=scopes, policy=policy)
