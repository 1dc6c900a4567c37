"""`$operation` endpoints at system, type and instance level."""

from rest_framework.request import Request
from rest_framework.response import Response

from fhirapi.operations import registry
from fhirapi.rest.responses import fhir_base
from fhirapi.rest.views import FhirView, query_pairs
from fhirapi.services import require_resource_type


class OperationView(FhirView):
    def get(self, request: Request, operation: str, resource_type=None, resource_id=None):
        return self._invoke(request, operation, resource_type, resource_id, body=None)

    def post(self, request: Request, operation: str, resource_type=None, resource_id=None):
        return self._invoke(request, operation, resource_type, resource_id, body=self.body(request))

    def _invoke(self, request, operation, resource_type, resource_id, *, body) -> Response:
        repository = self.repository(request)
        if resource_type:
            require_resource_type(resource_type)
        invocation = registry.Invocation(
            repository=repository,
            resource_type=resource_type,
            resource_id=resource_id,
            method=request.method,
            body=body,
            params=query_pairs(request),
            base_url=fhir_base(request),
            user=request.user,
            headers=request.headers,
            url=request.build_absolute_uri(),
        )
        result = registry.invoke(operation, invocation)
        return Response(result.body, status=result.status, headers=result.headers)
