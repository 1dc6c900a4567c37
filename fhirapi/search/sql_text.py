"""`_text` (the narrative) and `_content` (every string of the resource): each value's words must
all be there (as whole words, normalized like the index; see `text_values`)."""

from fhirapi.errors import InvalidSearch
from fhirapi.search.models import TextIndex
from fhirapi.search.query import Criterion
from fhirapi.search.query_values import unescape
from fhirapi.search.scope import Scope
from fhirapi.search.sql import Sql, any_of
from fhirapi.search.text_values import words

TABLE = TextIndex._meta.db_table
COLUMNS = {"_text": "narrative", "_content": "content"}


def condition(criterion: Criterion, scope: Scope) -> Sql:
    column = COLUMNS[criterion.code]
    queries = []
    for raw in criterion.values:
        found = words(unescape(raw))
        if not found:
            raise InvalidSearch(
                f"{criterion.name}: {raw!r} has no words", expression=[criterion.name]
            )
        queries.append(Sql(f"x.{column} @@ %s::tsquery", (" & ".join(f"'{w}'" for w in found),)))
    match = any_of(queries)
    return Sql(
        f"EXISTS (SELECT 1 FROM {TABLE} x WHERE x.record_id = {scope.record}.id AND {match.text})",
        match.params,
    )
