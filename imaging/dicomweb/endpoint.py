"""What every DICOMweb view shares: authentication (session, or a bearer token: the REST API's
authentication classes), a clinical role, and errors answered as JSON with the right status."""

from collections.abc import Callable
from functools import wraps

import structlog
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings

from imaging.access import may_view_images
from imaging.dicomweb.frames import NoSuchFrame
from imaging.dicomweb.multipart import MultipartError, NotMultipart
from imaging.dicomweb.qido import QidoError
from imaging.dicomweb.stow import BodyTooLarge
from imaging.dicomweb.wado import BadParameter, NotAcceptable
from imaging.rendering import RenderError

logger = structlog.get_logger(__name__)
ERROR_STATUS: dict[type[Exception], int] = {
    Http404: 404,
    NoSuchFrame: 404,
    PermissionDenied: 403,
    NotMultipart: 415,
    QidoError: 400,
    BadParameter: 400,
    MultipartError: 400,
    RenderError: 400,
    NotAcceptable: 406,
    BodyTooLarge: 413,
}

View = Callable[..., HttpResponse]


def dicomweb_endpoint(view: View) -> View:
    @csrf_exempt  # a session's unsafe requests are CSRF-checked by SessionAuthentication
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refusal = _authenticate(request)
        if refusal is not None:
            return refusal
        try:
            return view(request, *args, **kwargs)
        except tuple(ERROR_STATUS) as exc:
            return error_response(ERROR_STATUS[_kind(exc)], str(exc) or "not found")

    return wrapper


def _kind(exc: Exception) -> type[Exception]:
    return next(kind for kind in ERROR_STATUS if isinstance(exc, kind))


def _authenticate(request: HttpRequest) -> HttpResponse | None:
    authenticators = [cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    try:
        user = Request(request, authenticators=authenticators).user
    except exceptions.APIException as exc:
        status = 403 if isinstance(exc, exceptions.PermissionDenied) else 401
        return error_response(status, str(exc.detail))
    if not user.is_authenticated:
        response = error_response(401, "sign in, or send Authorization: Bearer <token>")
        response["WWW-Authenticate"] = 'Bearer realm="dicomweb"'
        return response
    request.user = user
    if not may_view_images(user):
        return error_response(403, "DICOMweb needs a clinical role")
    return None


def error_response(status: int, message: str) -> JsonResponse:
    return JsonResponse({"status": status, "detail": message}, status=status)


def dicomweb_base(request: HttpRequest) -> str:
    """The absolute DICOMweb root as this request reached it (for RetrieveURL and BulkDataURI)."""
    return request.build_absolute_uri(reverse("dicomweb-studies")).removesuffix("/studies")
