"""Every failure under /fhir becomes an OperationOutcome with the right status; never HTML."""

import errno

import structlog
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
)
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response

from fhirapi.errors import FhirError, Issue, operation_outcome
from fhirapi.services import is_transient

logger = structlog.get_logger(__name__)

CONNECTION_LOST_SQLSTATES = ("08", "57P")
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
    if isinstance(exc, DatabaseError | OSError):
        unavailable = _unavailable(exc)
        if unavailable is not None:
            logger.warning("FHIR request failed for a transient reason", error=repr(exc))
            issue = Issue("transient", unavailable)
            return Response(operation_outcome([issue]), status=503, headers={"Retry-After": "5"})
    logger.exception("unhandled error in FHIR request")
    issue = Issue("exception", "the server failed to process the request; it was logged")
    return Response(operation_outcome([issue]), status=500)


def _unavailable(exc: Exception) -> str | None:
    """What to tell the client of a failure that retrying later can cure, or None."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the server's storage is full; nothing was stored; try again later"
    if isinstance(exc, OperationalError) and is_transient(exc):
        return "the request collided with another one and was rolled back; send it again"
    if isinstance(exc, InterfaceError | OperationalError) and _connection_lost(exc):
        return "the database connection was lost; nothing was committed; send it again"
    return None


def _connection_lost(exc: Exception) -> bool:
    """The error is the loss of the connection: no SQLSTATE (the socket closed), a connection
    exception (08) or the server ending the session (57P: terminated, shut down). A dead
    connection is closed here, so this request's audit record and the next request get a new
    one (Django's CONN_HEALTH_CHECKS would do it for the next request anyway)."""
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    if sqlstate is not None and not sqlstate.startswith(CONNECTION_LOST_SQLSTATES):
        return False
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block and not (connection.connection and connection.is_usable()):
        connection.close()
    return True


def _drf_message(exc: drf.APIException) -> str:
    detail = exc.detail
    return str(detail) if not isinstance(detail, list | dict) else str(list(detail))


@csrf_exempt  # an unknown path is a 404 OperationOutcome for every method, not a CSRF page
def fhir_not_found(request: HttpRequest, unknown_path: str = "") -> JsonResponse:
    issue = Issue("not-found", f"no FHIR endpoint at {request.path}")
    return JsonResponse(
        operation_outcome([issue]), status=404, content_type="application/fhir+json"
    )
