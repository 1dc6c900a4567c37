"""Reference parameters: `Type/id` (a version is ignored), a bare `id` (any type, or the type of
`:[type]`), an absolute URL (local when it starts with this server's base, else compared as
written; a canonical without `|version` also matches its versions), and `:identifier`
(`system|value`)."""

from fhirapi.errors import InvalidSearch
from fhirapi.search.indexing import cut
from fhirapi.search.models import ReferenceIndex
from fhirapi.search.query_values import split_escaped, unescape
from fhirapi.search.references import parse_reference
from fhirapi.search.scope import Scope
from fhirapi.search.sql import Sql, all_of, like_escape
from fhirapi.search.sql_token import code_condition

TABLE = ReferenceIndex._meta.db_table
_ABSOLUTE = ("http://", "https://", "urn:")


def value_condition(alias: str, raw: str, name: str, modifier: str | None, scope: Scope) -> Sql:
    if modifier == "identifier":
        return _identifier_condition(alias, raw, name)
    value = _local_form(unescape(raw), scope.base_urls)
    if value.startswith(_ABSOLUTE):
        return _url_condition(alias, value)
    parsed = parse_reference(value)
    if parsed.type is not None and parsed.id is not None:
        if modifier and modifier != parsed.type:
            return Sql("FALSE")
        return _target_condition(alias, parsed.type, parsed.id)
    if "/" in value:
        raise InvalidSearch(f"{name}: {value!r} is not Type/id, an id or a URL", expression=[name])
    return _target_condition(alias, modifier, value)


def _local_form(value: str, base_urls: tuple[str, ...]) -> str:
    for base in base_urls:
        if value.startswith(base + "/"):
            return value[len(base) + 1 :]
    return value


def _target_condition(alias: str, target_type: str | None, target_id: str) -> Sql:
    conditions = [Sql(f"{alias}.target_id = %s", (target_id,))]
    if target_type is not None:
        conditions.append(Sql(f"{alias}.target_type = %s", (target_type,)))
    return all_of(conditions)


def _url_condition(alias: str, url: str) -> Sql:
    if "|" in url:
        return Sql(f"{alias}.url = %s", (cut(url),))
    return Sql(f"({alias}.url = %s OR {alias}.url LIKE %s)", (cut(url), like_escape(url) + "|%"))


def _identifier_condition(alias: str, raw: str, name: str) -> Sql:
    parts = [unescape(p) for p in split_escaped(raw, "|")]
    if len(parts) > 2:
        raise InvalidSearch(f"{name}: expected system|value", expression=[name])
    system = parts[0] if len(parts) == 2 else None
    columns = (f"{alias}.identifier_system", f"{alias}.identifier_value")
    return code_condition(*columns, system, parts[-1])
