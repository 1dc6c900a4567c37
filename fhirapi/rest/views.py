"""The FHIR REST interactions: thin wrappers over FhirRepository."""

from datetime import datetime
from urllib.parse import parse_qsl

import structlog
from django.conf import settings
from django.db import DatabaseError
from django.utils.http import parse_http_date_safe
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fhirapi.audit.rest_events import audit_rest_request
from fhirapi.errors import BadRequest, Issue, ResourceNotFound, operation_outcome
from fhirapi.rest.errors import fhir_exception_handler
from fhirapi.rest.negotiation import (
    JSON_PATCH,
    JSON_TYPES,
    FhirContentNegotiation,
    FhirJsonParser,
    FhirJsonRenderer,
    JsonPatchParser,
    PlainJsonParser,
    require_json_content_type,
)
from fhirapi.rest.responses import fhir_base, prefer, read_response, write_response
from fhirapi.services import FhirRepository
from fhirapi.smart.authentication import request_actor
from fhirapi.store.values import parse_etag

logger = structlog.get_logger(__name__)


AUDIT_FAILED = Issue(
    "transient",
    "the audit trail could not be written, so the answer is withheld; a write may have been "
    "applied: read before sending it again",
)


class FhirView(APIView):
    parser_classes = [FhirJsonParser, PlainJsonParser]
    renderer_classes = [FhirJsonRenderer]
    content_negotiation_class = FhirContentNegotiation
    permission_classes = [IsAuthenticated]
    audited = True  # one audit record per request, refused ones too (fhirapi/audit)

    def get_exception_handler(self):
        return fhir_exception_handler

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.audited:
            try:
                audit_rest_request(request, response, kwargs)
            except DatabaseError:  # the database went away: still an OperationOutcome, not HTML
                logger.exception("the audit record of a FHIR request could not be written")
                if response.status_code < 500:  # no record of the access, so no data either
                    withheld = Response(operation_outcome([AUDIT_FAILED]), status=503)
                    withheld["Retry-After"] = "5"
                    return super().finalize_response(request, withheld, *args, **kwargs)
        return response

    def repository(self, request: Request) -> FhirRepository:
        return FhirRepository(actor=request_actor(request))

    def body(self, request: Request, allowed: set[str] = JSON_TYPES):
        require_json_content_type(request, allowed)
        return request.data


def if_match(request: Request) -> int | None:
    return parse_etag(request.headers.get("If-Match"))


class SystemView(FhirView):
    """[base]: batch and transaction Bundles (POST), system search (GET)."""

    def get(self, request: Request) -> Response:
        return Response(
            self.repository(request).search_bundle(
                None, query_pairs(request), base_url=fhir_base(request), strict=strict(request)
            )
        )

    def post(self, request: Request) -> Response:
        bundle = self.body(request)
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise BadRequest("POST to the base takes a Bundle", expression=["Bundle"])
        kind = bundle.get("type")
        repository = self.repository(request)
        if kind == "transaction":
            return Response(repository.transaction(bundle, base_url=fhir_base(request)))
        if kind == "batch":
            return Response(repository.batch(bundle, base_url=fhir_base(request)))
        raise BadRequest(
            f"Bundle.type must be batch or transaction, not {kind!r}", expression=["Bundle.type"]
        )


class TypeView(FhirView):
    """[base]/[type]: search (GET), create and conditional create (POST), conditional update (PUT
    with a query) and conditional delete (DELETE with a query)."""

    def get(self, request: Request, resource_type: str) -> Response:
        return Response(
            self.repository(request).search_bundle(
                resource_type,
                query_pairs(request),
                base_url=fhir_base(request),
                strict=strict(request),
            )
        )

    def post(self, request: Request, resource_type: str) -> Response:
        repository = self.repository(request)
        if_none_exist = request.headers.get("If-None-Exist")
        if if_none_exist:
            outcome = repository.conditional_create(
                self.body(request), if_none_exist=if_none_exist, resource_type=resource_type
            )
        else:
            outcome = repository.create(self.body(request), resource_type=resource_type)
        return write_response(request, outcome, message=f"created {outcome.stored.relative_url}")

    def put(self, request: Request, resource_type: str) -> Response:
        query = request.META.get("QUERY_STRING", "")
        if not query:
            raise MethodNotAllowed("PUT on a type needs search parameters (conditional update)")
        outcome = self.repository(request).conditional_update(
            resource_type, query, self.body(request), if_match=if_match(request)
        )
        verb = "created" if outcome.created else "updated"
        return write_response(request, outcome, message=f"{verb} {outcome.stored.relative_url}")

    def delete(self, request: Request, resource_type: str) -> Response:
        query = request.META.get("QUERY_STRING", "")
        multiple = (
            prefer(request).get("handling") == "multiple"
            or settings.FHIR_CONDITIONAL_DELETE_MULTIPLE
        )
        count = self.repository(request).conditional_delete(resource_type, query, multiple=multiple)
        issue = Issue("informational", f"deleted {count} resource(s)", severity="information")
        return Response(operation_outcome([issue]), status=200)


class SearchView(FhirView):
    """[base]/[type]/_search: search with a form-encoded body (POST)."""

    parser_classes = [FormParser]

    def post(self, request: Request, resource_type: str) -> Response:
        require_json_content_type(request, {"application/x-www-form-urlencoded"})
        pairs = query_pairs(request) + [
            (k, v) for k in request.data for v in request.data.getlist(k)
        ]
        return Response(
            self.repository(request).search_bundle(
                resource_type, pairs, base_url=fhir_base(request), strict=strict(request)
            )
        )


def query_pairs(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)


def strict(request: Request) -> bool:
    """`Prefer: handling=strict`: refuse unknown search parameters instead of ignoring them."""
    return prefer(request).get("handling") == "strict"


class CompartmentView(FhirView):
    """[base]/Patient/[id]/[type] and [base]/Patient/[id]/*: search in a Patient's compartment."""

    def get(self, request: Request, resource_id: str, resource_type: str) -> Response:
        return Response(
            self.repository(request).compartment_search(
                resource_id,
                None if resource_type == "*" else resource_type,
                query_pairs(request),
                base_url=fhir_base(request),
                strict=strict(request),
            )
        )


class InstanceView(FhirView):
    """[base]/[type]/[id]: read, update (also as create), patch, delete."""

    parser_classes = [FhirJsonParser, PlainJsonParser, JsonPatchParser]

    def get(self, request: Request, resource_type: str, resource_id: str) -> Response:
        stored = self.repository(request).read(resource_type, resource_id)
        if not_modified(request, stored.version_id, stored.last_updated):
            return Response(status=304, headers={"ETag": stored.etag})
        return read_response(stored)

    def put(self, request: Request, resource_type: str, resource_id: str) -> Response:
        outcome = self.repository(request).update(
            resource_type, resource_id, self.body(request), if_match=if_match(request)
        )
        verb = "created" if outcome.created else "updated"
        return write_response(request, outcome, message=f"{verb} {outcome.stored.relative_url}")

    def patch(self, request: Request, resource_type: str, resource_id: str) -> Response:
        body = self.body(request, JSON_TYPES | {JSON_PATCH})
        content_type = request.content_type.split(";")[0].strip().lower()
        outcome = self.repository(request).patch(
            resource_type, resource_id, body, content_type=content_type, if_match=if_match(request)
        )
        return write_response(request, outcome, message=f"patched {outcome.stored.relative_url}")

    def delete(self, request: Request, resource_type: str, resource_id: str) -> Response:
        outcome = self.repository(request).delete(
            resource_type, resource_id, if_match=if_match(request)
        )
        return write_response(request, outcome, message=f"deleted {outcome.stored.relative_url}")


class VersionView(FhirView):
    """[base]/[type]/[id]/_history/[vid]: vread."""

    def get(
        self, request: Request, resource_type: str, resource_id: str, version_id: str
    ) -> Response:
        if not (version_id.isascii() and version_id.isdigit() and len(version_id) < 10):
            raise ResourceNotFound(
                f"{version_id!r} is not a version of {resource_type}/{resource_id}"
            )
        return read_response(
            self.repository(request).vread(resource_type, resource_id, int(version_id))
        )


def not_modified(request: Request, version_id: int, last_updated: datetime) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match:
        return if_none_match.strip() == "*" or parse_etag(if_none_match) == version_id
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(last_updated.timestamp()) <= since
