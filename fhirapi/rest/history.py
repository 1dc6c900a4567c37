"""History at instance, type and system level, as a Bundle of type history with paging links."""

from urllib.parse import urlencode

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from fhirapi.rest.params import parse_count, parse_instant, parse_offset
from fhirapi.rest.responses import fhir_base
from fhirapi.rest.views import FhirView
from fhirapi.store.reads import HistoryPage, HistoryQuery
from fhirapi.store.values import StoredResource
from fhirapi.store.writes import format_instant


class HistoryView(FhirView):
    def get(
        self, request: Request, resource_type: str | None = None, resource_id: str | None = None
    ):
        params = request.query_params
        until = parse_instant("_until", params.get("_until")) or timezone.now()
        query = HistoryQuery(
            resource_type=resource_type,
            resource_id=resource_id,
            since=parse_instant("_since", params.get("_since")),
            at=parse_instant("_at", params.get("_at")),
            until=until,
            count=parse_count(params.get("_count")),
            offset=parse_offset(params.get("_offset")),
        )
        page = self.repository(request).history(query)
        return Response(history_bundle(request, query, page))


def history_bundle(request: Request, query: HistoryQuery, page: HistoryPage) -> dict:
    base = fhir_base(request)
    return {
        "resourceType": "Bundle",
        "type": "history",
        "total": page.total,
        "link": _paging_links(request, query, page.total),
        "entry": [
            _history_entry(base, stored, method)
            for stored, method in zip(page.versions, page.methods, strict=True)
        ],
    }


def _history_entry(base: str, stored: StoredResource, method: str) -> dict:
    entry: dict = {"fullUrl": f"{base}/{stored.relative_url}"}
    if stored.content is not None:
        entry["resource"] = stored.content
    entry["request"] = {
        "method": method,
        "url": stored.resource_type if method == "POST" else stored.relative_url,
    }
    entry["response"] = {
        "status": {"POST": "201 Created", "DELETE": "204 No Content"}.get(method, "200 OK"),
        "etag": stored.etag,
        "lastModified": format_instant(stored.last_updated),
    }
    return entry


def _paging_links(request: Request, query: HistoryQuery, total: int) -> list[dict]:
    path = request.build_absolute_uri(request.path)
    fixed = {k: v for k, v in request.query_params.items() if k not in ("_offset", "_until")}
    fixed["_until"] = format_instant(query.until)
    fixed["_count"] = str(query.count)  # the page size used (clamped to FHIR_MAX_COUNT)

    def url(offset: int) -> str:
        return f"{path}?{urlencode({**fixed, '_offset': offset})}"

    links = [
        {"relation": "self", "url": url(query.offset)},
        {"relation": "first", "url": url(0)},
    ]
    if query.offset + query.count < total:
        links.append({"relation": "next", "url": url(query.offset + query.count)})
    if query.offset > 0:
        links.append({"relation": "previous", "url": url(max(query.offset - query.count, 0))})
    return links
