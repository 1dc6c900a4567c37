"""Our side as a CDS client: the JWT each outgoing CDS Hooks request carries, signed (RS384)
with the server's RSA key (OIDC_RSA_PRIVATE_KEY), whose public half is served at /cds/jwks.json."""

import time
import uuid
from functools import cache

from django.conf import settings
from jwcrypto import jwk, jwt

TOKEN_SECONDS = 300


@cache
def _signing_key(pem: str) -> jwk.JWK:
    key = jwk.JWK.from_pem(pem.encode())
    key.update(kid=key.thumbprint(), alg="RS384", use="sig")
    return key


def signing_key() -> jwk.JWK | None:
    pem = settings.OIDC_RSA_PRIVATE_KEY
    return _signing_key(pem) if pem else None


def public_jwks() -> dict:
    key = signing_key()
    return {"keys": [key.export_public(as_dict=True)] if key else []}


def bearer_header(audience: str) -> dict[str, str]:
    """The Authorization header for a call to `audience` (empty when we have no key)."""
    key = signing_key()
    if key is None:
        return {}
    issuer = settings.CDS_HOOKS_CLIENT_ISSUER
    now = int(time.time())
    token = jwt.JWT(
        header={"alg": "RS384", "typ": "JWT", "kid": key["kid"], "jku": f"{issuer}/cds/jwks.json"},
        claims={
            "iss": issuer,
            "aud": audience,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "jti": str(uuid.uuid4()),
        },
    )
    token.make_signed_token(key)
    return {"Authorization": f"Bearer {token.serialize()}"}
