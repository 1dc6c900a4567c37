"""CORS for the CDS Hooks endpoints: any origin may call them (browser-based CDS clients such as
the CDS Hooks sandbox), with the Authorization and Content-Type headers; OPTIONS is a preflight.
No cookies are involved: clients authenticate with a JWT."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "86400",
}


def cds_cors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = (
            HttpResponse(status=204)
            if request.method == "OPTIONS"
            else view(request, *args, **kwargs)
        )
        for name, value in HEADERS.items():
            response[name] = value
        return response

    return wrapped
