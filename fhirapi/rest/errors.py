"""Every failure under /fhir becomes an OperationOutcome with the right status; never HTML."""

import structlog
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response

from fhirapi.errors import FhirError, Issue, operation_outcome

logger = structlog.get_logger(__name__)

_DRF_ISSUE_CODES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    415: "not-supported",
    429: "throttled",
}


def fhir_exception_handler(exc, context) -> Response:
    if isinstance(exc, FhirError):
        return Response(exc.outcome(), status=exc.status)
    if isinstance(exc, drf.APIException):
        status = exc.status_code
        message = _drf_message(exc)
        headers = {}
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="fhir"'
        issue = Issue(_DRF_ISSUE_CODES.get(status, "processing"), message)
        return Response(operation_outcome([issue]), status=status, headers=headers)
    logger.exception("unhandled error in FHIR request")
    issue = Issue("exception", "the server failed to process the request; it was logged")
    return Response(operation_outcome([issue]), status=500)


def _drf_message(exc: drf.APIException) -> str:
    detail = exc.detail
    return str(detail) if not isinstance(detail, list | dict) else str(list(detail))


@csrf_exempt  # an unknown path is a 404 OperationOutcome for every method, not a CSRF page
def fhir_not_found(request: HttpRequest, unknown_path: str = "") -> JsonResponse:
    issue = Issue("not-found", f"no FHIR endpoint at {request.path}")
    return JsonResponse(
        operation_outcome([issue]), status=404, content_type="application/fhir+json"
    )
