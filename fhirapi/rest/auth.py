"""API authentication: `Authorization: Bearer <token>` for scripts (tokens from `manage.py
issue_token`), besides the browser session (whose unsafe requests need the CSRF token)."""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


class BearerTokenAuthentication(TokenAuthentication):
    keyword = "Bearer"

    def authenticate_credentials(self, key: str) -> tuple:
        # Every API request comes here: one query in plain SQL, where DRF's ORM lookup spends
        # more time building the query than the database spends answering it.
        with connection.cursor() as cursor:
            cursor.execute(_token_and_user_sql(), [key])
            row = cursor.fetchone()
        if row is None:
            raise AuthenticationFailed(_("Invalid token."))
        user = get_user_model().from_db(connection.alias, _user_fields(), row[1:])
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        token = Token(key=key, user=user, created=row[0])
        token._state.adding, token._state.db = False, connection.alias
        return user, token


@cache
def _user_fields() -> list[str]:
    return [field.attname for field in get_user_model()._meta.concrete_fields]


@cache
def _token_and_user_sql() -> str:
    user_meta = get_user_model()._meta
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(field.column)}" for field in user_meta.concrete_fields)
    return (
        f"SELECT t.{quote('created')}, {columns} FROM {quote(Token._meta.db_table)} t"
        f" JOIN {quote(user_meta.db_table)} u ON u.{quote(user_meta.pk.column)} = t.user_id"
        f" WHERE t.{quote('key')} = %s"
    )
