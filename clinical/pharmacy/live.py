"""Live fragments without websockets: an element polls its own URL with the stamp of what it
shows; the server answers 204 (HTMX keeps the element, and any half-filled form in it) unless
the fragment would look different. When the realtime module's `data-live-topic` hook lands it
only has to trigger the same request sooner."""

import hashlib
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from clinical.workspace_http import private_page

CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


def stamped(request: HttpRequest, template: str, context: dict[str, Any]) -> tuple[SafeString, str]:
    """The rendered fragment body and its stamp (CSRF tokens, masked anew each time, left out)."""
    html = render_to_string(template, context, request=request)
    stamp = hashlib.sha256(CSRF_INPUT.sub("", html).encode()).hexdigest()[:16]
    return mark_safe(html), stamp


def unchanged(request: HttpRequest, stamp: str) -> HttpResponse | None:
    """204 when the poll's stamp is the current one, else None."""
    if request.GET.get("stamp") == stamp:
        return private_page(HttpResponse(status=204))
    return None
