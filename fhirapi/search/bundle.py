"""The searchset Bundle: matches with their full URLs, paging links, the total, and an
OperationOutcome entry naming the parameters that were ignored."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fhirapi.errors import Issue, operation_outcome
from fhirapi.search.paging import AFTER, BEFORE, Cursor, encode_cursor
from fhirapi.search.query import SearchQuery
from fhirapi.search.statement import Match


@dataclass(frozen=True, slots=True)
class Page:
    matches: list[Match]
    total: int | None
    has_next: bool
    has_previous: bool


def searchset(query: SearchQuery, page: Page, *, base_url: str, path: str) -> dict[str, Any]:
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if page.total is not None:
        bundle["total"] = page.total
    bundle["link"] = _links(query, page, f"{base_url}/{path}".rstrip("/"))
    entries = [_entry(base_url, match) for match in page.matches]
    if query.ignored:
        entries.append({"resource": _ignored_outcome(query), "search": {"mode": "outcome"}})
    if entries:
        bundle["entry"] = entries
    return bundle


def _entry(base_url: str, match: Match) -> dict[str, Any]:
    stored = match.stored
    return {
        "fullUrl": f"{base_url}/{stored.relative_url}",
        "resource": stored.content,
        "search": {"mode": "match"},
    }


def _ignored_outcome(query: SearchQuery) -> dict[str, Any]:
    issues = [
        Issue(
            "not-supported",
            f"search parameter {name!r} is unknown or not supported here and was ignored",
            severity="warning",
            expression=(name,),
        )
        for name in query.ignored
    ]
    return operation_outcome(issues)


def _links(query: SearchQuery, page: Page, url: str) -> list[dict[str, str]]:
    fixed = [*query.link_params, ("_count", str(query.count))]

    def link(relation: str, *extra: tuple[str, str]) -> dict[str, str]:
        return {"relation": relation, "url": f"{url}?{urlencode([*fixed, *extra])}"}

    current = [("_page", query.page)] if query.page else []
    if query.offset and not query.page:
        current = [("_offset", str(query.offset))]
    links = [link("self", *current), link("first")]
    if page.matches and page.has_next:
        last = page.matches[-1]
        links.append(link("next", ("_page", _cursor(AFTER, last))))
    if page.matches and page.has_previous:
        first = page.matches[0]
        links.append(link("previous", ("_page", _cursor(BEFORE, first))))
    return links


def _cursor(direction: str, match: Match) -> str:
    return encode_cursor(Cursor(direction, match.sort_values, match.record_id))
