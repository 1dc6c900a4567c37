"""Content-Security-Policy: the settings' policy on pages (django-csp), and on the FHIR API's
answers the fixed policy that OWASP advises for APIs, which nothing there needs to relax."""

from csp.constants import HEADER
from csp.middleware import CSPMiddleware

API_PREFIX = "/fhir"
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


class PageAndApiCSPMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if request.path_info.startswith(API_PREFIX):  # also spares django-csp's per-response build
            response.setdefault(HEADER, API_POLICY)
            return response
        return super().process_response(request, response)
