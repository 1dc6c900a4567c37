"""Uri parameters: exact match, `:below` (the value starts with the search URI) and `:above` (the
value is the search URI or one of its parents, cut at `/`)."""

from fhirapi.search.indexing import cut
from fhirapi.search.models import UriIndex
from fhirapi.search.query_values import unescape
from fhirapi.search.scope import Scope
from fhirapi.search.sql import Sql, like_prefix

TABLE = UriIndex._meta.db_table


def value_condition(alias: str, raw: str, name: str, modifier: str | None, scope: Scope) -> Sql:
    uri = unescape(raw)
    if modifier == "below":
        return Sql(f"{alias}.value LIKE %s", (like_prefix(cut(uri)),))
    if modifier == "above":
        return Sql(f"{alias}.value = ANY(%s)", ([cut(p) for p in parents(uri)],))
    return Sql(f"{alias}.value = %s", (cut(uri),))


def parents(uri: str) -> list[str]:
    """`http://a/b/c` -> http://a/b/c, http://a/b, http://a (never just the scheme)."""
    found = [uri]
    scheme_end = uri.find("://") + 3 if "://" in uri else 0
    while (cut_at := uri.rfind("/", scheme_end)) > scheme_end:
        uri = uri[:cut_at]
        found.append(uri)
    return found
