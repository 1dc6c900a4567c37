"""The RSA key that signs OpenID Connect id tokens (RS256), read when settings load.

`OIDC_RSA_PRIVATE_KEY` holds a PEM private key. In development (DEBUG) with none set, a key is
generated once and kept in the data directory, so tokens stay verifiable across restarts. In
production with none set, OpenID Connect is off (no `openid` scope, no id tokens)."""

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_KEY_FILE = "oidc-rsa-private-key.pem"


def oidc_private_key(pem: str, *, data_dir: Path, debug: bool) -> str:
    """The PEM key to sign id tokens with; "" when OpenID Connect is off."""
    if pem.strip():
        _require_rsa_private_key(pem)
        return pem
    if not debug:
        return ""
    return _development_key(data_dir / DEVELOPMENT_KEY_FILE)


def _require_rsa_private_key(pem: str) -> None:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "OIDC_RSA_PRIVATE_KEY: expected an unencrypted PEM private key"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured(
            "OIDC_RSA_PRIVATE_KEY: expected an RSA key (id tokens are RS256)"
        )


def _development_key(path: Path) -> str:
    """Read the key at `path`, creating it first if missing. Concurrent processes (test workers)
    agree on one key: each writes a complete file aside, and only the first link wins."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".oidc-key-")
        try:
            os.write(fd, pem)
            os.close(fd)
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text()
