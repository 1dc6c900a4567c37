"""API authentication: `Authorization: Bearer <token>` for scripts (tokens from `manage.py
issue_token`), besides the browser session (whose unsafe requests need the CSRF token)."""

from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    keyword = "Bearer"
