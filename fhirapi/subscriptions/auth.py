"""`Authorization: Bearer <token>` on a websocket handshake, for clients without a browser
session: a SMART access token this server issued, or a script token of `manage.py issue_token`."""

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.utils import timezone


class BearerTokenMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            token = _bearer(scope)
            if token:
                found = await _token_user(token)
                if found is not None:
                    scope = dict(scope, user=found)
        return await super().__call__(scope, receive, send)


def _bearer(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return token.strip()
    return None


@database_sync_to_async
def _token_user(token: str):
    from rest_framework.authtoken.models import Token

    from fhirapi.smart.selectors import access_token_by_value

    access = access_token_by_value(token)
    if access is not None:
        if access.expires <= timezone.now():
            return None
        user = access.user or (access.application.user if access.application else None)
    else:
        found = Token.objects.select_related("user").filter(key=token).first()
        user = found.user if found is not None else None
    return user if user is not None and user.is_active else None
