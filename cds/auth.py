"""Trusting CDS clients (CDS Hooks 2.0 "Trusting CDS Clients"): each request carries a JWT in
`Authorization: Bearer`, signed with an asymmetric key of a registered CdsClient. Checked: the
header (`alg` asymmetric, `kid`, `typ` JWT, `jku` only the client's registered JWKS URL), the
signature, and the claims `iss` (a registered, enabled client), `aud` (this endpoint's URL),
`exp`, `iat` and `jti` (each presented once)."""

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from cds.models import CdsClient, UsedJwtId

ALLOWED_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
CLOCK_SKEW_SECONDS = 60
JWKS_CACHE_SECONDS = 300


class CdsAuthError(Exception):
    """The request is not from a trusted CDS client (401)."""


def endpoint_url(request: HttpRequest) -> str:
    """This endpoint's URL as clients address it: CDS_HOOKS_BASE_URL + path when configured."""
    base = settings.CDS_HOOKS_BASE_URL
    if base:
        return base.rstrip("/") + request.path
    return request.build_absolute_uri(request.path)


def authenticate(request: HttpRequest) -> CdsClient | None:
    """The client that signed the request; None for an unsigned request when unsigned requests
    are allowed (CDS_HOOKS_ALLOW_UNSIGNED). Raises CdsAuthError otherwise."""
    header = request.headers.get("Authorization", "")
    if not header:
        if settings.CDS_HOOKS_ALLOW_UNSIGNED:
            return None
        raise CdsAuthError("a JWT in 'Authorization: Bearer' is required")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CdsAuthError("the Authorization header must be 'Bearer <JWT>'")
    return verify_token(token.strip(), audience=endpoint_url(request))


def verify_token(token: str, *, audience: str) -> CdsClient:
    signed = jws.JWS()
    try:
        signed.deserialize(token)
        header = signed.jose_header
        unverified = json.loads(signed.objects["payload"])
    except (JWException, ValueError, KeyError, TypeError):
        raise CdsAuthError("the bearer token is not a well-formed JWT") from None
    alg = _check_header(header)
    client = _client(unverified.get("iss"))
    key = _key(client, header)
    try:
        signed.verify(key, alg=alg)
    except JWException:
        raise CdsAuthError("the JWT signature does not verify") from None
    claims = json.loads(signed.payload)
    _check_claims(claims, audience=audience)
    _remember_jti(client.issuer, claims["jti"], claims["exp"])
    return client


def _check_header(header: dict[str, Any]) -> str:
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise CdsAuthError(f"JWT alg {alg!r} is not allowed (asymmetric algorithms only)")
    if not header.get("kid"):
        raise CdsAuthError("the JWT header has no kid")
    if header.get("typ", "JWT").upper() != "JWT":
        raise CdsAuthError("the JWT header typ must be JWT")
    return alg


def _client(issuer: Any) -> CdsClient:
    if not isinstance(issuer, str) or not issuer:
        raise CdsAuthError("the JWT has no iss")
    client = CdsClient.objects.filter(issuer=issuer, enabled=True).first()
    if client is None:
        raise CdsAuthError(f"the issuer {issuer!r} is not a registered CDS client")
    return client


def _key(client: CdsClient, header: dict[str, Any]) -> jwk.JWK:
    jku = header.get("jku")
    if jku and jku != client.jwks_url:
        raise CdsAuthError("the JWT's jku is not the JWKS URL registered for its issuer")
    kid = header["kid"]
    key = _find_key(_keyset(client, refresh=False), kid)
    if key is None and client.jwks_url:
        key = _find_key(_keyset(client, refresh=True), kid)  # the client may have rotated keys
    if key is None:
        raise CdsAuthError(f"no key {kid!r} in the JWK Set of {client.issuer}")
    return key


def _find_key(keyset: jwk.JWKSet | None, kid: str) -> jwk.JWK | None:
    return keyset.get_key(kid) if keyset is not None else None


def _keyset(client: CdsClient, *, refresh: bool) -> jwk.JWKSet | None:
    if client.jwks:
        return _parse_keyset(client.jwks)
    if not client.jwks_url:
        return None
    cache_key = f"cds:jwks:{client.jwks_url}"
    cached = None if refresh else cache.get(cache_key)
    if cached is None:
        try:
            response = httpx.get(client.jwks_url, timeout=5.0)
            response.raise_for_status()
            cached = response.json()
        except (httpx.HTTPError, ValueError):
            raise CdsAuthError(f"the JWK Set at {client.jwks_url} could not be fetched") from None
        cache.set(cache_key, cached, JWKS_CACHE_SECONDS)
    return _parse_keyset(cached)


def _parse_keyset(data: Any) -> jwk.JWKSet:
    try:
        return jwk.JWKSet.from_json(json.dumps(data))
    except (JWException, ValueError, TypeError):
        raise CdsAuthError("the client's JWK Set is malformed") from None


def _check_claims(claims: dict[str, Any], *, audience: str) -> None:
    now = time.time()
    for name in ("exp", "iat"):
        if not isinstance(claims.get(name), int | float):
            raise CdsAuthError(f"the JWT has no numeric {name}")
    if claims["exp"] < now - CLOCK_SKEW_SECONDS:
        raise CdsAuthError("the JWT has expired")
    if claims["iat"] > now + CLOCK_SKEW_SECONDS:
        raise CdsAuthError("the JWT was issued in the future")
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise CdsAuthError("the JWT has no jti")
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences
    if not isinstance(audiences, list) or audience.rstrip("/") not in {
        str(a).rstrip("/") for a in audiences
    }:
        raise CdsAuthError(f"the JWT's aud is not this endpoint ({audience})")


def _remember_jti(issuer: str, jti: str, exp: float) -> None:
    expires = datetime.fromtimestamp(exp + CLOCK_SKEW_SECONDS, tz=UTC)
    UsedJwtId.objects.filter(expires_at__lt=timezone.now()).delete()
    try:
        with transaction.atomic():
            UsedJwtId.objects.create(issuer=issuer, jti=jti, expires_at=expires)
    except IntegrityError:
        raise CdsAuthError("the JWT's jti was already used (replay refused)") from None
