"""Where the request being handled came from, for audit records written deep inside services
(break-the-glass, chart views) without passing the request down: set per request by the
middleware, empty outside requests (Celery tasks, management commands)."""

from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from wintehr.client_ip import client_ip


@dataclass(frozen=True)
class RequestOrigin:
    source_ip: str | None = None
    request_id: str = ""


NO_ORIGIN = RequestOrigin()
_current: ContextVar[RequestOrigin] = ContextVar("audit_request_origin", default=NO_ORIGIN)


def current_origin() -> RequestOrigin:
    return _current.get()


def origin_of(request: HttpRequest) -> RequestOrigin:
    return RequestOrigin(source_ip=client_ip(request), request_id=getattr(request, "id", ""))


class RequestOriginMiddleware:
    """Install after wintehr.request_id.RequestIdMiddleware, which gives the request its id."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(origin_of(request))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
