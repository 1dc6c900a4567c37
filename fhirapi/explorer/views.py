"""The explorer's pages. One view serves each page and its HTMX fragment; links keep their href so
the pages work without JavaScript."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views.decorators.http import require_GET

from fhirapi.errors import FhirError
from fhirapi.explorer import selectors
from fhirapi.explorer.capability import resource_types, type_options
from fhirapi.explorer.diff import changed_paths, unified_diff
from fhirapi.explorer.json_html import json_html
from fhirapi.explorer.query import ExplorerQuery, criteria_from, query_from
from fhirapi.explorer.selectors import SearchResult

USE_EXPLORER = "fhirexplorer.use_explorer"


def explorer_allowed(user) -> bool:
    return user.is_active and (user.is_staff or user.has_perm(USE_EXPLORER))


def _require_explorer(request: HttpRequest) -> None:
    if not explorer_allowed(request.user):
        raise PermissionDenied("The FHIR explorer is for staff and holders of use_explorer.")


def _fragment(request: HttpRequest, target: str) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and htmx.target == target


def _private(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request"])
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def explorer(request: HttpRequest) -> HttpResponse:
    _require_explorer(request)
    query = query_from(request.GET)
    options = type_options(query.resource_type) if query else None
    result = None
    if query and "run" in request.GET:
        result = selectors.explorer_search(user=request.user, query=query)
    context = {
        "query": query,
        "options": options,
        "rows": _builder_rows(request, options),
        "result": result,
        "bundle_html": json_html(result.bundle) if result and result.bundle else "",
        "next_url": _next_url(query, result),
    }
    if _fragment(request, "results"):
        return _private(render(request, "explorer/_results.html", context))
    if _fragment(request, "builder"):
        return _private(render(request, "explorer/_builder.html", context))
    context |= {**_type_counts(request.user), "all_types": resource_types()}
    return _private(render(request, "explorer/page.html", context))


def _type_counts(user) -> dict:
    """The counts by type, or why the user's FHIR rights do not allow them."""
    try:
        counts = selectors.explorer_type_counts(user=user)
    except FhirError as exc:
        return {"counts": [], "estimated": False, "counts_error": str(exc)}
    return {"counts": sorted(counts.counts.items()), "estimated": counts.estimated}


def _next_url(query: ExplorerQuery | None, result: SearchResult | None) -> str:
    if query is None or result is None or not result.next_query:
        return ""
    params = {"type": query.resource_type, "run": "1", "q": result.next_query}
    return f"{reverse('explorer')}?{urlencode(params)}"


def _builder_rows(request: HttpRequest, options) -> list[dict]:
    """The builder's parameter rows: those sent, one more when asked, and at least one."""
    if options is None:
        return []
    rows = [
        {"criterion": criterion, "param": options.param(criterion.name)}
        for criterion in criteria_from(request.GET)
    ]
    if "add" in request.GET or not rows:
        rows.append({"criterion": None, "param": None})
    return rows


@login_required
@require_GET
def param_row(request: HttpRequest) -> HttpResponse:
    """One builder row, with the modifiers and prefixes of the parameter chosen in it."""
    _require_explorer(request)
    options = type_options(request.GET.get("type", ""))
    if options is None:
        raise Http404("unknown resource type")
    criteria = criteria_from(request.GET)
    param = options.param(request.GET.get("param", ""))
    context = {
        "options": options,
        "row": {"criterion": criteria[0] if criteria else None, "param": param},
    }
    return _private(render(request, "explorer/_param_row.html", context))


@login_required
@require_GET
def resource(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    _require_explorer(request)
    try:
        current, versions = selectors.explorer_resource(
            user=request.user, resource_type=resource_type, resource_id=resource_id
        )
    except FhirError as exc:
        raise Http404(str(exc)) from None
    context = {
        "resource_type": resource_type,
        "resource_id": resource_id,
        "current": current,
        "fhir_base": settings.FHIR_BASE_URL,
        "content_html": json_html(current.content) if current.content else "",
        "versions": versions,
        "diff": _diff_context(request, resource_type, resource_id, versions),
    }
    if _fragment(request, "diff"):
        return _private(render(request, "explorer/_diff.html", context))
    return _private(render(request, "explorer/resource.html", context))


def _diff_context(request: HttpRequest, resource_type: str, resource_id: str, versions) -> dict:
    """The versions compared: those asked for, else the current one and the one before."""
    by_id = {stored.version_id: stored for stored in versions}
    newest = versions[0].version_id
    new = _version_number(request.GET.get("to"), default=newest)
    old = _version_number(request.GET.get("from"), default=max(new - 1, 1))
    if old not in by_id or new not in by_id:
        return {"error": "no such version", "old": old, "new": new}
    before, after = by_id[old].content, by_id[new].content
    return {
        "old": old,
        "new": new,
        "lines": unified_diff(
            before,
            after,
            old_label=f"{resource_type}/{resource_id}/_history/{old}",
            new_label=f"{resource_type}/{resource_id}/_history/{new}",
        ),
        "changes": changed_paths(before or {}, after or {}),
    }


def _version_number(raw: str | None, *, default: int) -> int:
    return int(raw) if raw and raw.isdigit() else default
