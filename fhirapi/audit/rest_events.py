"""One audit record per FHIR REST request, successful or not (FhirView.finalize_response calls
audit_rest_request). What was done comes from the URL pattern and the method; the patient is the
one the resource or the search names, when that is cheap to see: Patient/[id] itself, the
`subject`/`patient` reference of the resource read or written, or a `patient`/`subject` search
parameter. Bundles (batch, transaction, search results) are not opened."""

import re
from typing import Any
from urllib.parse import parse_qsl

from django.http import QueryDict
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from fhirapi.audit.events import REST_KINDS
from fhirapi.audit.services import audit_record, outcome_for_status

_INTERACTIONS = {
    ("fhir-system", "GET"): "search-system",
    ("fhir-history-system", "GET"): "history-system",
    ("fhir-type", "GET"): "search-type",
    ("fhir-type", "POST"): "create",
    ("fhir-type", "PUT"): "update",
    ("fhir-type", "DELETE"): "delete",
    ("fhir-search", "POST"): "search-type",
    ("fhir-history-type", "GET"): "history-type",
    ("fhir-instance", "GET"): "read",
    ("fhir-instance", "PUT"): "update",
    ("fhir-instance", "PATCH"): "patch",
    ("fhir-instance", "DELETE"): "delete",
    ("fhir-history-instance", "GET"): "history-instance",
    ("fhir-vread", "GET"): "vread",
    ("fhir-metadata", "GET"): "capabilities",
}
# The AuditEvent routes (fhirapi/urls.py) are the generic ones, for the one type.
_AUDIT_EVENT_ROUTES = {
    "fhir-auditevent-search": "fhir-type",
    "fhir-auditevent-post": "fhir-search",
    "fhir-auditevent-read": "fhir-instance",
}
_SEARCHES = {"search-system", "search-type"}
_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_COMPARTMENT_FIELDS = ("subject", "patient", "beneficiary")
_COMPARTMENT_PARAMS = {"subject", "patient", "beneficiary"}


def audit_rest_request(request: Request, response: Response, view_kwargs: dict[str, Any]) -> None:
    user = _requesting_user(request)
    # Bodies are looked at only for signed-in callers: no parsing of what strangers send.
    body = _parsed_body(request) if user.is_authenticated else None
    interaction = rest_interaction(request, body)
    resource_type = view_kwargs.get("resource_type") or _audit_event_type(request)
    result = response.data if response.status_code < 400 else None
    resource_id = view_kwargs.get("resource_id") or _own_id(result, interaction)
    query = _search_query(request, body) if interaction in _SEARCHES else ""
    audit_record(
        kind=REST_KINDS[interaction],
        username=user.get_username() if user.is_authenticated else "",
        client_id=_client_id(request),
        outcome=outcome_for_status(response.status_code),
        resource_type=resource_type,
        resource_id=resource_id,
        patient_id=(
            resource_id
            if resource_type == "Patient" and resource_id
            else patient_of_resource(result)
            or patient_of_resource(body if isinstance(body, dict) else None)
            or patient_of_query(resource_type, parse_qsl(query))
        ),
        query=query,
        description=_description(request, response),
    )


def rest_interaction(request: Request, body: Any) -> str:
    url_name = _url_name(request)
    url_name = _AUDIT_EVENT_ROUTES.get(url_name, url_name)
    method = "GET" if request.method == "HEAD" else request.method
    if url_name == "fhir-system" and method == "POST":
        is_transaction = isinstance(body, dict) and body.get("type") == "transaction"
        return "transaction" if is_transaction else "batch"
    return _INTERACTIONS.get((url_name, method), "operation")


def _url_name(request: Request) -> str | None:
    return request.resolver_match.url_name if request.resolver_match else None


def _audit_event_type(request: Request) -> str:
    return "AuditEvent" if _url_name(request) in _AUDIT_EVENT_ROUTES else ""


def patient_of_resource(resource: Any) -> str:
    if not isinstance(resource, dict):
        return ""
    if resource.get("resourceType") == "Patient":
        resource_id = resource.get("id")
        return resource_id if isinstance(resource_id, str) and _FHIR_ID.match(resource_id) else ""
    for field in _COMPARTMENT_FIELDS:
        reference = resource.get(field)
        if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
            match = _PATIENT_REFERENCE.search(reference["reference"])
            if match:
                return match.group(1)
    return ""


def patient_of_query(resource_type: str, params: list[tuple[str, str]]) -> str:
    for name, value in params:
        base = name.split(":")[0]
        if resource_type == "Patient" and base == "_id" and _FHIR_ID.match(value):
            return value
        if base in _COMPARTMENT_PARAMS:
            match = _PATIENT_REFERENCE.search(value)
            if match:
                return match.group(1)
            if base == "patient" and _FHIR_ID.match(value):
                return value
    return ""


def _own_id(result: Any, interaction: str) -> str:
    """The id the server gave a created resource."""
    if interaction != "create" or not isinstance(result, dict):
        return ""
    resource_id = result.get("id")
    return resource_id if isinstance(resource_id, str) and _FHIR_ID.match(resource_id) else ""


def _parsed_body(request: Request) -> Any:
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    try:
        return request.data
    except Exception:  # the body did not parse; the view has answered that already
        return None


def _search_query(request: Request, body: Any) -> str:
    query = request.META.get("QUERY_STRING", "")
    if isinstance(body, QueryDict) and body:  # POST [type]/_search
        query = "&".join(part for part in (query, body.urlencode()) if part)
    return query


def _requesting_user(request: Request):
    try:
        return request.user
    except APIException:  # authentication failed before the view could answer
        return request._request.user


def _client_id(request: Request) -> str:
    application = getattr(request.auth, "application", None)
    return str(getattr(application, "client_id", "") or "")


def _description(request: Request, response: Response) -> str:
    line = f"{request.method} {request.get_full_path()} {response.status_code}"
    data = response.data
    if response.status_code >= 400 and isinstance(data, dict):
        issues = data.get("issue") or [{}]
        diagnostics = issues[0].get("diagnostics") if isinstance(issues[0], dict) else None
        if diagnostics:
            line = f"{line}: {diagnostics}"
    return line
