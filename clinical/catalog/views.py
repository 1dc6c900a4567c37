import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinical.catalog.catalog import KINDS
from clinical.catalog.selectors import catalog_search
from clinical.roles import VIEW_CHART
from clinical.workspace_http import private_page

FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,60}")


@login_required
@require_GET
def catalog_autocomplete(request: HttpRequest, kind: str) -> HttpResponse:
    """`?field=<form field>&<field>_q=<text>` (or `q=`): radio options for that field, or JSON
    with `format=json`."""
    if kind not in KINDS:
        raise Http404("No such catalog.")
    if not request.user.has_perm(VIEW_CHART):
        raise PermissionDenied("The catalog is for clinicians.")
    field = request.GET.get("field", "code")
    if not FIELD_NAME.fullmatch(field):
        field = "code"
    query = (request.GET.get(f"{field}_q") or request.GET.get("q") or "").strip()[:100]
    items = catalog_search(user=request.user, kind=kind, query=query)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "kind": kind,
                "query": query,
                "items": [
                    {"system": i.system, "code": i.code, "display": i.display, "token": i.token}
                    for i in items
                ],
            }
        )
    context = {"items": items, "field_name": field, "query": query}
    return private_page(render(request, "clinical/_catalog_options.html", context))
