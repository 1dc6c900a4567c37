"""The searchset Bundle: matches with their full URLs, resources `_include`d for them (mode
`include`), paging links, the total, and an OperationOutcome entry naming the parameters that were
ignored (and saying when the included resources were cut at the cap)."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fhirapi.errors import Issue, operation_outcome
from fhirapi.search.paging import AFTER, BEFORE, Cursor, encode_cursor
from fhirapi.search.query import SearchQuery
from fhirapi.search.statement import Match
from fhirapi.store.values import StoredResource


@dataclass(frozen=True, slots=True)
class Page:
    matches: list[Match]
    total: int | None
    has_next: bool
    has_previous: bool
    included: list[StoredResource] = field(default_factory=list)
    include_capped: int | None = None  # the cap, when more resources would have been included


def searchset(query: SearchQuery, page: Page, *, base_url: str, path: str) -> dict[str, Any]:
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if page.total is not None:
        bundle["total"] = page.total
    bundle["link"] = _links(query, page, f"{base_url}/{path}".rstrip("/"))
    entries = [_entry(base_url, match.stored, "match") for match in page.matches]
    entries += [_entry(base_url, stored, "include") for stored in page.included]
    if query.ignored or page.include_capped is not None:
        outcome = _outcome(query, page.include_capped)
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    if entries:
        bundle["entry"] = entries
    return bundle


def _entry(base_url: str, stored: StoredResource, mode: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{base_url}/{stored.relative_url}",
        "resource": stored.content,
        "search": {"mode": mode},
    }


def _outcome(query: SearchQuery, include_cap: int | None) -> dict[str, Any]:
    issues = [
        Issue(
            "not-supported",
            f"search parameter {name!r} is unknown or not supported here and was ignored",
            severity="warning",
            expression=(name,),
        )
        for name in query.ignored
    ]
    if include_cap is not None:
        text = f"only the first {include_cap} included resources are given for this page"
        issues.append(Issue("too-costly", text, severity="warning"))
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
