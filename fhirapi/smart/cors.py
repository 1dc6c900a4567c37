"""CORS for browser-based SMART apps: a request from the origin of a registered app's redirect
URI may call the paths of CORS_URLS_REGEX (the FHIR API and the token endpoints).
django-cors-headers asks through its `check_request_enabled` signal, for every path, hence the
path check here."""

import re

from django.conf import settings
from django.http import HttpRequest

from fhirapi.smart.selectors import origin_is_registered


def allow_registered_app_origins(sender: object, request: HttpRequest, **kwargs) -> bool:
    origin = request.headers.get("Origin")
    return (
        bool(origin)
        and re.match(settings.CORS_URLS_REGEX, request.path_info) is not None
        and origin_is_registered(origin)
    )
