"""GET [base]/AuditEvent (search) and [base]/AuditEvent/[id] (read), served from the audit table
to auditors only. The trail is written by the server alone: every write gets 405."""

from urllib.parse import urlencode

from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.response import Response

from fhirapi.audit.search import audit_query
from fhirapi.audit.selectors import AuditPage, audit_event_read, audit_search
from fhirapi.errors import MethodNotAllowed
from fhirapi.rest.negotiation import require_json_content_type
from fhirapi.rest.responses import fhir_base
from fhirapi.rest.views import FhirView, query_pairs

READ_ONLY = "AuditEvent is written by the server only; read and search are supported"


class AuditEventTypeView(FhirView):
    """[base]/AuditEvent: search (GET)."""

    def get(self, request: Request) -> Response:
        return _search(request, query_pairs(request))

    def post(self, request: Request) -> Response:
        raise MethodNotAllowed(READ_ONLY)

    put = delete = post


class AuditEventSearchView(FhirView):
    """[base]/AuditEvent/_search: search with a form-encoded body (POST)."""

    parser_classes = [FormParser]

    def post(self, request: Request) -> Response:
        require_json_content_type(request, {"application/x-www-form-urlencoded"})
        form = [(key, value) for key in request.data for value in request.data.getlist(key)]
        return _search(request, query_pairs(request) + form)


class AuditEventInstanceView(FhirView):
    """[base]/AuditEvent/[id]: read (GET)."""

    def get(self, request: Request, resource_id: str) -> Response:
        return Response(audit_event_read(user=request.user, event_id=resource_id))

    def put(self, request: Request, resource_id: str) -> Response:
        raise MethodNotAllowed(READ_ONLY)

    patch = delete = post = put


class AuditEventUnsupportedView(FhirView):
    """Every other [base]/AuditEvent/... path: history, vread, operations."""

    def get(self, request: Request, **kwargs) -> Response:
        raise MethodNotAllowed(READ_ONLY)

    post = put = patch = delete = get


def _search(request: Request, params: list[tuple[str, str]]) -> Response:
    page = audit_search(user=request.user, query=audit_query(params))
    return Response(_bundle(request, params, page))


def _bundle(request: Request, params: list[tuple[str, str]], page: AuditPage) -> dict:
    base = fhir_base(request)
    links = [{"relation": "self", "url": _page_url(base, params)}]
    if page.next_cursor is not None:
        following = [(k, v) for k, v in params if k != "_cursor"] + [("_cursor", page.next_cursor)]
        links.append({"relation": "next", "url": _page_url(base, following)})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/AuditEvent/{event['id']}",
                "resource": event,
                "search": {"mode": "match"},
            }
            for event in page.events
        ],
    }


def _page_url(base: str, params: list) -> str:
    return f"{base}/AuditEvent?{urlencode(params)}" if params else f"{base}/AuditEvent"


def audit_event_capability() -> dict:
    """AuditEvent's entry in the CapabilityStatement: read and search, nothing else."""
    definition = "http://hl7.org/fhir/SearchParameter/AuditEvent-{}"
    params = [
        ("date", "date"),
        ("agent", "reference"),
        ("patient", "reference"),
        ("entity", "reference"),
        ("action", "token"),
        ("outcome", "token"),
        ("subtype", "token"),
        ("address", "token"),
    ]
    return {
        "type": "AuditEvent",
        "profile": "http://hl7.org/fhir/StructureDefinition/AuditEvent",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": name, "type": kind, "definition": definition.format(name)}
            for name, kind in params
        ],
    }
