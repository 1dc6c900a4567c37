"""Counts and times every HTTP request by route, and FHIR REST requests by interaction and
resource type too (wintehr/metrics.py). Labels come from the URL pattern, never from the raw path,
so a scan of made-up URLs cannot grow the number of series."""

import time

from django.http import HttpRequest, HttpResponse

from fhirapi.audit.rest_events import rest_interaction
from fhirapi.store.resource_types import is_resource_type
from wintehr.metrics import FHIR_LATENCY, FHIR_REQUESTS, HTTP_LATENCY, HTTP_REQUESTS

UNMATCHED = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    """Install early (right after RequestIdMiddleware) so the time covers the other middleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in KNOWN_METHODS else "other"
        route = route_name(request)
        status = str(response.status_code)
        HTTP_REQUESTS.labels(route, method, status).inc()
        HTTP_LATENCY.labels(route, method).observe(elapsed)
        interaction = fhir_interaction(request, response)
        if interaction is not None:
            resource_type = fhir_resource_type(request)
            FHIR_REQUESTS.labels(interaction, resource_type, status).inc()
            FHIR_LATENCY.labels(interaction, resource_type).observe(elapsed)
        return response


def route_name(request: HttpRequest) -> str:
    match = request.resolver_match
    if match is None:
        return UNMATCHED
    return match.view_name if match.url_name else match.route


def fhir_interaction(request: HttpRequest, response: HttpResponse) -> str | None:
    """read, vread, search-type, create, update, patch, delete, history, transaction, batch,
    operation (also search-system and capabilities); None outside the FHIR API."""
    match = request.resolver_match
    if match is None or not (match.url_name or "").startswith("fhir-"):
        return None
    data = getattr(response, "data", None)
    answered_type = data.get("type") if isinstance(data, dict) else None
    body = {"type": "transaction"} if answered_type == "transaction-response" else None
    interaction = rest_interaction(request, body)
    return "history" if interaction.startswith("history-") else interaction


def fhir_resource_type(request: HttpRequest) -> str:
    match = request.resolver_match
    resource_type = match.kwargs.get("resource_type", "") if match else ""
    if resource_type == "" and match and match.url_name and "auditevent" in match.url_name:
        return "AuditEvent"
    return resource_type if is_resource_type(resource_type) else ""
