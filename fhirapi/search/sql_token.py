"""Token parameters: `code`, `system|code`, `|code` (no system), `system|` (any code of the
system), `:text` (words of the display or text), `:of-type` (`type-system|type-code|value` of an
Identifier); `:not` is the negation of the plain match (see `conditions`). `:in` (`:not-in`, its
negation) takes a value set's canonical url; `:below` and `:above` follow the hierarchy of the
value's system (`value_sets`)."""

from fhirapi.errors import InvalidSearch
from fhirapi.search.indexing import cut
from fhirapi.search.models import TokenIndex
from fhirapi.search.query_values import split_escaped, unescape
from fhirapi.search.scope import Scope
from fhirapi.search.sql import FALSE, Sql, all_of, like_escape
from fhirapi.search.string_values import normalize
from fhirapi.search.value_sets import above, below, expansion

TABLE = TokenIndex._meta.db_table


def value_condition(alias: str, raw: str, name: str, modifier: str | None, scope: Scope) -> Sql:
    if modifier == "text":
        return text_condition(alias, unescape(raw))
    if modifier in ("in", "not-in"):
        return value_set_condition(alias, unescape(raw), name)
    parts = [unescape(p) for p in split_escaped(raw, "|")]
    if modifier == "of-type":
        if len(parts) != 3 or not all(parts):
            raise InvalidSearch(f"{name}: expected type-system|type-code|value", expression=[name])
        return all_of(
            [
                Sql(f"{alias}.type_system = %s", (cut(parts[0]),)),
                Sql(f"{alias}.type_code = %s", (cut(parts[1]),)),
                Sql(f"{alias}.code = %s", (cut(parts[2]),)),
            ]
        )
    if len(parts) > 2:
        raise InvalidSearch(f"{name}: {raw!r} has more than one unescaped '|'", expression=[name])
    system = parts[0] if len(parts) == 2 else None
    if modifier in ("above", "below") and system and parts[-1]:
        related = (above if modifier == "above" else below)(system, parts[-1])
        return codings_condition(alias, [(system, code) for code in sorted(related)])
    return code_condition(f"{alias}.system", f"{alias}.code", system, parts[-1])


def value_set_condition(alias: str, url: str, name: str) -> Sql:
    codings = expansion(url)
    if codings is None:
        raise InvalidSearch(f"{name}: value set {url!r} is unknown or cannot be expanded")
    return codings_condition(alias, sorted(codings))


def codings_condition(alias: str, codings: list[tuple[str, str]]) -> Sql:
    """The row's (system, code) is one of `codings` (a row without a system: its code is)."""
    if not codings:
        return FALSE
    systems = [cut(system) for system, _ in codings]
    codes = [cut(code) for _, code in codings]
    pairs = f"({alias}.code, {alias}.system) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
    bare = f"{alias}.system IS NULL AND {alias}.code = ANY(%s)"  # a `code`: its system implied
    return Sql(f"({pairs} OR ({bare}))", (codes, systems, codes))


def code_condition(system_column: str, code_column: str, system: str | None, code: str) -> Sql:
    """`system` None: any system; "": no system. `code` "": any code (of that system)."""
    conditions = []
    if code:
        conditions.append(Sql(f"{code_column} = %s", (cut(code),)))
    if system == "":
        conditions.append(Sql(f"{system_column} IS NULL"))
    elif system is not None:
        conditions.append(Sql(f"{system_column} = %s", (cut(system),)))
    return all_of(conditions)


def text_condition(alias: str, text: str) -> Sql:
    """The display or text has a word starting with `text`."""
    pattern = like_escape(normalize(text))
    return Sql(f"({alias}.text LIKE %s OR {alias}.text LIKE %s)", (f"{pattern}%", f"% {pattern}%"))
