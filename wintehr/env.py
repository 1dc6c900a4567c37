"""Typed readers for configuration held in environment variables.

Every reader raises ImproperlyConfigured with a message that starts with the variable's name, so
a bad value stops start-up with one line that says what to fix.
"""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected true or false, got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {value}")
    return value


def envfloat(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}: must be at least {minimum:g}, got {value:g}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envurl(name: str, *, schemes: set[str]) -> str | None:
    """A URL with one of the given schemes and a host or socket path, or None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: malformed URL ({exc})") from None
    if parts.scheme not in schemes:
        expected = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(
            f"{name}: expected a URL starting with one of {expected}, got {parts.scheme or raw!r}"
        )
    if not parts.hostname and "host=" not in parts.query:
        raise ImproperlyConfigured(f"{name}: the URL names no host")
    return raw


def envpath(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    path = Path(raw).expanduser() if raw else default
    return path.resolve()


@contextlib.contextmanager
def exit_on_bad_configuration() -> Iterator[None]:
    """Turn a configuration error into one line on stderr and exit status 2."""
    try:
        yield
    except ImproperlyConfigured as exc:
        print(f"wintehr: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
