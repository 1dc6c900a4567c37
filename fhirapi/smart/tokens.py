"""The values of the access and refresh tokens this server issues. They start with a fixed
prefix, so that a bearer token that cannot be ours (a script's `issue_token` token) is told apart
without a database query, and so that secret scanners can recognise a leaked one."""

import secrets

from oauthlib.common import Request

ACCESS_TOKEN_PREFIX = "wsa_"
REFRESH_TOKEN_PREFIX = "wsr_"


def access_token(request: Request) -> str:
    return ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)


def refresh_token(request: Request) -> str:
    return REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)


def may_be_access_token(value: str) -> bool:
    return value.startswith(ACCESS_TOKEN_PREFIX)
