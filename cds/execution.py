"""Running one of our CDS services on a checked request: the same path for HTTP calls and for
the workspace's in-process client."""

from typing import Any

from django.conf import settings
from django.utils import timezone

from cds.data_sources import (
    DataSource,
    HttpSource,
    NoSource,
    RepositorySource,
    actor_for_access_token,
    is_own_server,
)
from cds.feedback import cards_record_issued
from cds.prefetch import PrefetchData
from cds.registry import CdsCall, ServiceDefinition
from cds.request import CdsRequest
from fhirapi.services import FhirRepository


def execute(service: ServiceDefinition, request: CdsRequest, *, source: DataSource) -> dict:
    """The service's response JSON. Raises DataUnavailable (412) when it needs data it cannot
    get; the cards it returns are recorded as issued."""
    data = PrefetchData(
        templates=service.prefetch,
        supplied=request.prefetch,
        context=request.context,
        source=source,
    )
    cards = service.run(CdsCall(request=request, data=data, now=timezone.now()))
    cards_record_issued(
        service_id=service.id,
        rule_version_id=service.rule_version_id,
        request=request,
        cards=cards,
    )
    return {"cards": [card.as_json() for card in cards]}


def source_for(request: CdsRequest, *, signed: bool) -> DataSource:
    """Where a request's missing data comes from: our store in-process when `fhirServer` is our
    own base (read as the actor of `fhirAuthorization`'s token), the named server over HTTP for
    signed requests, else nowhere."""
    server, authorization = request.fhir_server, request.fhir_authorization
    if server is None:
        return NoSource("the request names no fhirServer and lacks prefetched data")
    if is_own_server(server):
        actor = actor_for_access_token(authorization.access_token) if authorization else None
        if actor is None:
            return NoSource("no valid fhirAuthorization for this server's FHIR API")
        return RepositorySource(FhirRepository(actor=actor))
    if not signed:
        return NoSource("unsigned requests may not have us fetch from other FHIR servers")
    token = authorization.access_token if authorization else None
    return HttpSource(server, access_token=token, timeout=settings.CDS_HOOKS_TIME_BUDGET_SECONDS)


def error_body(message: str) -> dict[str, Any]:
    return {"error": message}
