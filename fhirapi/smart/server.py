"""oauthlib's OpenID Connect server with SMART's rules on top of django-oauth-toolkit's settings:
PKCE with S256 only (a missing or `plain` code_challenge_method is refused at the authorization
endpoint), and Backend Services access tokens that live at most five minutes."""

from collections.abc import Callable
from typing import Any

from oauthlib.common import Request
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

BACKEND_TOKEN_SECONDS = 300
S256_ONLY = {"S256": code_challenge_method_s256}


class SmartServer(Server):
    def __init__(
        self, request_validator: Any, token_expires_in: int | None = None, *args, **kwargs
    ):
        super().__init__(
            request_validator, token_lifetime(token_expires_in or 3600), *args, **kwargs
        )
        self.auth_grant._code_challenge_methods = S256_ONLY
        self.openid_connect_auth.proxy_target._code_challenge_methods = S256_ONLY


def token_lifetime(seconds: int) -> Callable[[Request], int]:
    def lifetime(request: Request) -> int:
        if request.grant_type == "client_credentials":
            return min(seconds, BACKEND_TOKEN_SECONDS)
        return seconds

    return lifetime
