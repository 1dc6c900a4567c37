"""Building FHIR responses: version headers, Location, `Prefer: return=...`."""

from typing import Any

from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response

from fhirapi.errors import Issue, operation_outcome
from fhirapi.store.values import StoredResource, WriteOutcome


def fhir_base(request: Request) -> str:
    return request.build_absolute_uri("/fhir").rstrip("/")


def version_headers(stored: StoredResource) -> dict[str, str]:
    return {"ETag": stored.etag, "Last-Modified": http_date(stored.last_updated.timestamp())}


def read_response(stored: StoredResource) -> Response:
    return Response(stored.content, headers=version_headers(stored))


def prefer(request: Request) -> dict[str, str]:
    preferences = {}
    for part in request.headers.get("Prefer", "").split(";"):
        for item in part.split(","):
            name, _, value = item.strip().partition("=")
            if name:
                preferences[name.strip().lower()] = value.strip().strip('"').lower()
    return preferences


def write_response(request: Request, outcome: WriteOutcome, *, message: str) -> Response:
    stored = outcome.stored
    headers = version_headers(stored)
    if outcome.created:
        headers["Location"] = f"{fhir_base(request)}/{stored.versioned_url}"
    body: dict[str, Any] | None
    wanted = prefer(request).get("return", "representation")
    if stored.deleted or wanted == "operationoutcome":
        body = operation_outcome([Issue("informational", message, severity="information")])
    elif wanted == "minimal":
        body = None
    else:
        body = stored.content
    return Response(body, status=outcome.status, headers=headers)
