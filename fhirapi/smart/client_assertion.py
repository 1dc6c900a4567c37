"""private_key_jwt client authentication (RFC 7523, SMART client-confidential-asymmetric).

The assertion is a JWT signed with RS384 or ES384 by a key in the client's registered JWK Set (or
at its registered JWKS URL; a `jku` header must name that URL). `iss` and `sub` are the client id,
`aud` is the token endpoint's URL, `exp` is at most five minutes ahead, and `jti` is never
accepted twice from one client."""

import json
import time
from datetime import UTC, datetime
from typing import Any

import requests
from django.db import IntegrityError, transaction
from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException
from oauth2_provider.models import Application

from fhirapi.smart.models import AssertionJti
from fhirapi.smart.selectors import smart_app_for_client

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHM_KEY_TYPES = {"RS384": "RSA", "ES384": "EC"}
MAX_LIFETIME_SECONDS = 300
CLOCK_SKEW_SECONDS = 30
JWKS_TIMEOUT_SECONDS = 5


class InvalidClientAssertion(Exception):
    pass


def client_from_assertion(assertion: str, *, token_url: str) -> Application:
    """The application that signed `assertion`; raises InvalidClientAssertion otherwise."""
    header, claims = _unverified(assertion)
    alg = header.get("alg")
    if alg not in ALGORITHM_KEY_TYPES:
        raise InvalidClientAssertion(f"alg must be one of {', '.join(ALGORITHM_KEY_TYPES)}")
    client_id = claims.get("iss")
    if not isinstance(client_id, str) or claims.get("sub") != client_id:
        raise InvalidClientAssertion("iss and sub must both be the client id")
    app = smart_app_for_client(client_id)
    if app is None:
        raise InvalidClientAssertion("the client is not registered")
    key = _signing_key(app, header, alg)
    try:
        verified = jwt.JWT(jwt=assertion, key=key, algs=[alg], check_claims=False)
    except (JWException, ValueError) as exc:
        raise InvalidClientAssertion(f"the signature does not verify ({exc})") from None
    _check_claims(json.loads(verified.claims), token_url=token_url)
    _remember_jti(client_id, claims)
    return app.application


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    token = jws.JWS()
    try:
        token.deserialize(assertion)
        claims = json.loads(token.objects["payload"])
    except (JWException, ValueError, KeyError, TypeError):
        raise InvalidClientAssertion("the assertion is not a signed JWT") from None
    header = token.jose_header
    if not isinstance(claims, dict) or not isinstance(header, dict):
        raise InvalidClientAssertion("the assertion is not a signed JWT")
    return header, claims


def _signing_key(app: Any, header: dict[str, Any], alg: str) -> jwk.JWK:
    jku = header.get("jku")
    if jku is not None and jku != app.jwks_url:
        raise InvalidClientAssertion("jku is not the JWKS URL registered for the client")
    keys = list((app.jwks or {}).get("keys", [])) if jku is None else []
    if app.jwks_url:
        keys += _fetch_jwks(app.jwks_url)
    candidates = [
        key
        for key in keys
        if isinstance(key, dict)
        and key.get("kid") == header.get("kid")
        and key.get("kty") == ALGORITHM_KEY_TYPES[alg]
    ]
    if len(candidates) != 1:
        raise InvalidClientAssertion("no single registered key matches the kid and alg")
    try:
        return jwk.JWK(**candidates[0])
    except (JWException, ValueError, TypeError):
        raise InvalidClientAssertion("the registered key is not a valid JWK") from None


def _fetch_jwks(url: str) -> list[Any]:
    try:
        response = requests.get(
            url, headers={"Accept": "application/json"}, timeout=JWKS_TIMEOUT_SECONDS
        )
        response.raise_for_status()
        keys = response.json().get("keys", [])
    except (requests.RequestException, ValueError, AttributeError):
        raise InvalidClientAssertion("the client's JWKS URL did not serve a JWK Set") from None
    return keys if isinstance(keys, list) else []


def _check_claims(claims: dict[str, Any], *, token_url: str) -> None:
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now - CLOCK_SKEW_SECONDS:
        raise InvalidClientAssertion("the assertion has expired (or has no exp)")
    if exp > now + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        raise InvalidClientAssertion("exp is more than five minutes ahead")
    aud = claims.get("aud")
    if token_url not in (aud if isinstance(aud, list) else [aud]):
        raise InvalidClientAssertion("aud must be the token endpoint's URL")
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise InvalidClientAssertion("the assertion has no jti")


def _remember_jti(client_id: str, claims: dict[str, Any]) -> None:
    expires = datetime.fromtimestamp(claims["exp"] + CLOCK_SKEW_SECONDS, tz=UTC)
    AssertionJti.objects.filter(expires__lt=datetime.now(tz=UTC)).delete()
    try:
        with transaction.atomic():
            AssertionJti.objects.create(client_id=client_id, jti=claims["jti"], expires=expires)
    except IntegrityError:
        raise InvalidClientAssertion("the assertion's jti was already used") from None
