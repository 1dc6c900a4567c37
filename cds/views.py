"""The CDS Hooks 2.0 HTTP endpoints: discovery, service calls and feedback. Errors are JSON
({"error": ...}): 400 for a request that breaks the spec, 401 for an untrusted caller, 404 for an
unknown service, 412 when the service lacks data it cannot fetch, 500 when a service fails."""

import logging
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from cds.auth import CdsAuthError, authenticate
from cds.client_signing import public_jwks
from cds.cors import cds_cors
from cds.data_sources import DataUnavailable
from cds.execution import error_body, execute, source_for
from cds.feedback import feedback_accepted_for, feedback_record, parse_feedback
from cds.registry import ServiceDefinition, all_services, find_service
from cds.request import CdsRequestError, parse_body, parse_request

logger = logging.getLogger(__name__)


class UnknownService(Exception):
    pass


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except CdsRequestError as exc:
            return JsonResponse(error_body(str(exc)), status=400)
        except CdsAuthError as exc:
            response = JsonResponse(error_body(str(exc)), status=401)
            response["WWW-Authenticate"] = 'Bearer realm="cds-services"'
            return response
        except UnknownService as exc:
            return JsonResponse(error_body(f"no CDS service {exc}"), status=404)
        except DataUnavailable as exc:
            return JsonResponse(error_body(f"required data is unavailable: {exc}"), status=412)
        except Exception:
            logger.exception("CDS service %s failed", kwargs.get("service_id"))
            return JsonResponse(error_body("the CDS service failed"), status=500)

    return wrapped


def _method(request: HttpRequest, allowed: str) -> JsonResponse | None:
    if request.method == allowed:
        return None
    response = JsonResponse(error_body(f"use {allowed}"), status=405)
    response["Allow"] = f"{allowed}, OPTIONS"
    return response


def _service(service_id: str) -> ServiceDefinition:
    service = find_service(service_id)
    if service is None:
        raise UnknownService(repr(service_id))
    return service


@cds_cors
@json_errors
def discovery(request: HttpRequest) -> HttpResponse:
    """Public: lists services and their prefetch templates, no patient data."""
    if refused := _method(request, "GET"):
        return refused
    entries = [entry for service in all_services() for entry in service.discovery_entries()]
    return JsonResponse({"services": entries})


@csrf_exempt
@cds_cors
@json_errors
def service_call(request: HttpRequest, service_id: str) -> HttpResponse:
    if refused := _method(request, "POST"):
        return refused
    client = authenticate(request)
    service = _service(service_id)
    cds_request = parse_request(parse_body(request.body), service_hooks=service.hooks)
    source = source_for(cds_request, signed=client is not None)
    return JsonResponse(execute(service, cds_request, source=source))


@csrf_exempt
@cds_cors
@json_errors
def feedback(request: HttpRequest, service_id: str) -> HttpResponse:
    if refused := _method(request, "POST"):
        return refused
    client = authenticate(request)
    if not feedback_accepted_for(service_id):
        raise UnknownService(repr(service_id))
    items = parse_feedback(parse_body(request.body))
    feedback_record(service_id=service_id, items=items, client=client)
    return JsonResponse({"received": len(items)})


@cds_cors
def client_jwks(request: HttpRequest) -> HttpResponse:
    """The public key our outgoing CDS Hooks requests are signed with."""
    return JsonResponse(public_jwks())
