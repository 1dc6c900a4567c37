"""GET /fhir/openapi.json: an OpenAPI 3.0 description of the FHIR REST API, generated (like the
CapabilityStatement) from what this server implements: the resource types it stores, the
interactions its views serve, `$validate`, and the media types it speaks. Every error is an
OperationOutcome in application/fhir+json. API fuzzers (tests/reliability) are driven by it.

Resource types are one path parameter (`{type}`, an enum of the stored types) rather than 146
copies of each path; AuditEvent, served from the audit trail with fewer interactions, has its
own paths."""

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response

from fhirapi.rest.responses import fhir_base
from fhirapi.rest.views import FhirView
from fhirapi.search.capability import system_search_capability
from fhirapi.store.resource_types import RESOURCE_TYPES

FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"
FORM = "application/x-www-form-urlencoded"
ID_PATTERN = r"^[A-Za-z0-9\-.]{1,64}$"
SEPARATE_TYPES = frozenset({"AuditEvent"})  # fhirapi/audit: search and read only
ERROR_STATUSES = {
    "400": "The request is malformed: bad JSON, bad parameter, id mismatch",
    "401": "No valid credentials (`Authorization: Bearer <token>` or a session)",
    "403": "The caller's scopes or roles do not allow this",
    "404": "Unknown resource type, resource, operation or endpoint",
    "405": "The interaction is not supported here",
    "406": "Only application/fhir+json is served (`_format`, Accept)",
    "409": "The write conflicts with the store's state",
    "410": "The resource was deleted",
    "412": "If-Match does not hold, or a condition matches more than one resource",
    "413": "The body is larger than FHIR_MAX_BODY_BYTES",
    "415": "The body is not JSON (XML is not accepted)",
    "422": "The resource fails validation or refers to resources this server does not hold",
    "429": "Too many requests (API_RATE_LIMIT_PER_MINUTE); see Retry-After",
    "500": "The server failed; the failure was logged",
}
READ_ERRORS = ("400", "401", "403", "404", "406", "429", "500")
WRITE_ERRORS = (*READ_ERRORS, "405", "409", "410", "412", "413", "415", "422")


class OpenApiView(FhirView):
    audited = False  # describes the API; holds no patient data

    def get(self, request: Request) -> Response:
        return Response(openapi_document(fhir_base(request)), content_type="application/json")


def openapi_document(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "WintEHR FHIR R4 API",
            "version": settings.WINTEHR_VERSION,
            "description": "FHIR R4 (4.0.1) REST API; the CapabilityStatement is at /metadata.",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": _components(),
    }


def _paths() -> dict[str, Any]:
    type_, id_, vid = _ref("type"), _ref("id"), _ref("vid")
    search = [_ref(name) for name in _search_parameter_names()]
    history = [_ref(name) for name in ("_since", "_at", "_count", "_offset")]
    return {
        "/metadata": {"get": _op("capabilities", "CapabilityStatement", READ_ERRORS, public=True)},
        "/": {
            "get": _op("search-system", "Bundle", READ_ERRORS, params=[_ref("_type"), *search]),
            "post": _op(
                "batch-transaction",
                "Bundle",
                WRITE_ERRORS,
                body={FHIR_JSON: "RequestBundle"},
                params=[_ref("Prefer")],
            ),
        },
        "/_history": {"get": _op("history-system", "Bundle", READ_ERRORS, params=history)},
        "/{type}": {
            "get": _op("search-type", "Bundle", READ_ERRORS, params=[type_, *search]),
            "post": _op(
                "create",
                "Resource",
                WRITE_ERRORS,
                params=[type_, _ref("If-None-Exist"), _ref("Prefer")],
                body={FHIR_JSON: "Resource"},
                created=True,
            ),
            "put": _op(
                "conditional-update",
                "Resource",
                WRITE_ERRORS,
                params=[type_, *search, _ref("If-Match"), _ref("Prefer")],
                body={FHIR_JSON: "Resource"},
                created=True,
            ),
            "delete": _op(
                "conditional-delete", "OperationOutcome", WRITE_ERRORS, params=[type_, *search]
            ),
        },
        "/{type}/_search": {
            "post": _op(
                "search-type-post",
                "Bundle",
                (*READ_ERRORS, "413", "415"),
                params=[type_],
                body={FORM: "SearchForm"},
            ),
        },
        "/{type}/_history": {
            "get": _op("history-type", "Bundle", READ_ERRORS, params=[type_, *history]),
        },
        "/{type}/$validate": {
            "post": _op(
                "validate-type",
                "OperationOutcome",
                (*READ_ERRORS, "413", "415"),
                params=[type_],
                body={FHIR_JSON: "ResourceOrParameters"},
            ),
        },
        "/{type}/{id}": {
            "get": _op(
                "read",
                "Resource",
                (*READ_ERRORS, "410"),
                params=[type_, id_, _ref("If-None-Match")],
                not_modified=True,
            ),
            "put": _op(
                "update",
                "Resource",
                WRITE_ERRORS,
                params=[type_, id_, _ref("If-Match"), _ref("Prefer")],
                body={FHIR_JSON: "Resource"},
                created=True,
            ),
            "patch": _op(
                "patch",
                "Resource",
                WRITE_ERRORS,
                params=[type_, id_, _ref("If-Match"), _ref("Prefer")],
                body={JSON_PATCH: "JsonPatch", FHIR_JSON: "Parameters"},
            ),
            "delete": _op(
                "delete", "OperationOutcome", WRITE_ERRORS, params=[type_, id_, _ref("If-Match")]
            ),
        },
        "/{type}/{id}/_history": {
            "get": _op("history-instance", "Bundle", READ_ERRORS, params=[type_, id_, *history]),
        },
        "/{type}/{id}/_history/{vid}": {
            "get": _op("vread", "Resource", (*READ_ERRORS, "410"), params=[type_, id_, vid]),
        },
        "/{type}/{id}/$validate": {
            "get": _op(
                "validate-instance", "OperationOutcome", (*READ_ERRORS, "410"), params=[type_, id_]
            ),
            "post": _op(
                "validate-instance-post",
                "OperationOutcome",
                (*READ_ERRORS, "410", "413", "415"),
                params=[type_, id_],
                body={FHIR_JSON: "ResourceOrParameters"},
            ),
        },
        "/AuditEvent": {
            "get": _op("search-audit", "Bundle", READ_ERRORS, params=search),
        },
        "/AuditEvent/{id}": {
            "get": _op("read-audit", "Resource", (*READ_ERRORS, "405"), params=[id_]),
        },
    }


def _op(
    operation_id: str,
    schema: str,
    errors: tuple[str, ...],
    *,
    params: list[dict] | None = None,
    body: dict[str, str] | None = None,
    created: bool = False,
    not_modified: bool = False,
    public: bool = False,
) -> dict[str, Any]:
    """One operation: its success response (`schema`), and an OperationOutcome for each error."""
    responses: dict[str, Any] = {"200": _content(schema, "Success")}
    if created:
        responses["201"] = _content(schema, "Created")
    if not_modified:
        responses["304"] = {"description": "Not modified (If-None-Match)"}
    responses.update({status: {"$ref": f"#/components/responses/{status}"} for status in errors})
    operation: dict[str, Any] = {"operationId": operation_id, "responses": responses}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {kind: {"schema": _schema(name)} for kind, name in body.items()},
        }
    if public:
        operation["security"] = []
    return operation


def _content(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {FHIR_JSON: {"schema": _schema(schema)}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _schema(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _search_parameter_names() -> list[str]:
    return [*_common_search_parameters(), "_count", "_offset", "_sort", "_total", "_summary"]


def _common_search_parameters() -> dict[str, str]:
    """The search parameters every type has (Resource's), by name: their FHIR type."""
    return {p["name"]: p["type"] for p in system_search_capability()["searchParam"]}


def _components() -> dict[str, Any]:
    return {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": _parameters(),
        "schemas": _schemas(),
        "responses": {
            status: _content("OperationOutcome", description)
            for status, description in ERROR_STATUSES.items()
        },
    }


def _parameters() -> dict[str, Any]:
    stored_types = sorted(RESOURCE_TYPES - SEPARATE_TYPES)
    string = {"type": "string"}
    whole = {"type": "integer", "minimum": 0}
    parameters = {
        "type": _path("type", {"type": "string", "enum": stored_types}),
        "id": _path("id", {"type": "string", "pattern": ID_PATTERN}),
        "vid": _path("vid", {"type": "string", "pattern": r"^[0-9]{1,9}$"}),
        "_type": _query("_type", string, "Comma-separated resource types (system search)"),
        "_count": _query("_count", whole, f"Page size, at most {settings.FHIR_MAX_COUNT}"),
        "_offset": _query("_offset", whole, "Matches to skip"),
        "_sort": _query("_sort", string, "Comma-separated parameters, `-` for descending"),
        "_total": _query("_total", {"type": "string", "enum": ["none", "estimate", "accurate"]}),
        "_summary": _query("_summary", {"type": "string", "enum": ["count", "false"]}),
        "_since": _query("_since", {"type": "string", "format": "date-time"}),
        "_at": _query("_at", {"type": "string", "format": "date-time"}),
        "If-Match": _header("If-Match", r'^W/"[0-9]{1,9}"$', "Version the write expects"),
        "If-None-Match": _header("If-None-Match", r'^W/"[0-9]{1,9}"$', "Version the client has"),
        "If-None-Exist": _header("If-None-Exist", None, "Search query: create unless it matches"),
        "Prefer": {
            "name": "Prefer",
            "in": "header",
            "schema": {
                "type": "string",
                "enum": ["return=minimal", "return=representation", "return=OperationOutcome"],
            },
        },
    }
    for name, fhir_type in _common_search_parameters().items():
        parameters[name] = _query(name, string, f"Search parameter of type {fhir_type}")
    return parameters


def _path(name: str, schema: dict) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict, description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "schema": schema}
    return {**parameter, "description": description} if description else parameter


def _header(name: str, pattern: str | None, description: str) -> dict[str, Any]:
    schema = {"type": "string", **({"pattern": pattern} if pattern else {})}
    return {"name": name, "in": "header", "schema": schema, "description": description}


def _schemas() -> dict[str, Any]:
    resource_types = sorted(RESOURCE_TYPES)
    resource = {
        "type": "object",
        "required": ["resourceType"],
        "properties": {
            "resourceType": {"type": "string", "enum": resource_types},
            "id": {"type": "string", "pattern": ID_PATTERN},
            "meta": {"type": "object"},
        },
        "additionalProperties": True,
    }
    return {
        "Resource": resource,
        "ResourceOrParameters": resource,
        "Bundle": _typed("Bundle", {"type": {"type": "string"}, "entry": {"type": "array"}}),
        "CapabilityStatement": _typed("CapabilityStatement", {"rest": {"type": "array"}}),
        "Parameters": _typed("Parameters", {"parameter": {"type": "array"}}),
        "OperationOutcome": _typed(
            "OperationOutcome",
            {
                "issue": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["severity", "code"],
                        "properties": {
                            "severity": {
                                "type": "string",
                                "enum": ["fatal", "error", "warning", "information"],
                            },
                            "code": {"type": "string"},
                            "diagnostics": {"type": "string"},
                        },
                    },
                }
            },
            required=("issue",),
        ),
        "RequestBundle": {
            "type": "object",
            "required": ["resourceType", "type"],
            "properties": {
                "resourceType": {"type": "string", "enum": ["Bundle"]},
                "type": {"type": "string", "enum": ["batch", "transaction"]},
                "entry": {"type": "array", "items": _schema("RequestEntry")},
            },
        },
        "RequestEntry": {
            "type": "object",
            "required": ["request"],
            "properties": {
                "fullUrl": {"type": "string"},
                "resource": _schema("Resource"),
                "request": {
                    "type": "object",
                    "required": ["method", "url"],
                    "properties": {
                        "method": {
                            "type": "string",
                            "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
                        },
                        "url": {"type": "string"},
                        "ifMatch": {"type": "string"},
                        "ifNoneExist": {"type": "string"},
                    },
                },
            },
        },
        "JsonPatch": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["op", "path"],
                "properties": {
                    "op": {
                        "type": "string",
                        "enum": ["add", "remove", "replace", "move", "copy", "test"],
                    },
                    "path": {"type": "string"},
                    "from": {"type": "string"},
                    "value": {},
                },
            },
        },
        "SearchForm": {"type": "object", "additionalProperties": {"type": "string"}},
    }


def _typed(
    resource_type: str, properties: dict[str, Any], *, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["resourceType", *required],
        "properties": {"resourceType": {"type": "string", "enum": [resource_type]}, **properties},
    }
