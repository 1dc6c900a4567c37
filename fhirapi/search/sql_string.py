"""String parameters: starts-with (the default), `:exact` and `:contains`, on text normalized
like the index (lower case, accents removed)."""

from fhirapi.search.models import INDEXED_LENGTH, StringIndex
from fhirapi.search.query_values import unescape
from fhirapi.search.scope import Scope
from fhirapi.search.sql import Sql, like_escape, like_prefix
from fhirapi.search.string_values import normalize

TABLE = StringIndex._meta.db_table


def value_condition(alias: str, raw: str, name: str, modifier: str | None, scope: Scope) -> Sql:
    text = unescape(raw)
    normalized = normalize(text)[:INDEXED_LENGTH]
    if modifier == "exact":
        return Sql(f"{alias}.normalized = %s AND {alias}.exact = %s", (normalized, text))
    if modifier == "contains":
        return Sql(f"{alias}.normalized LIKE %s", (f"%{like_escape(normalized)}%",))
    return Sql(f"{alias}.normalized LIKE %s", (like_prefix(normalized),))
