"""GET /fhir/metadata: the CapabilityStatement, generated from what this server really supports:
the resource types it stores, the interactions its views implement, the search parameters in the
registry, and the operations registered."""

from typing import Any

from django.conf import settings
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from fhirapi.audit.rest import audit_event_capability
from fhirapi.operations.registry import OPERATIONS, Operation
from fhirapi.rest.responses import fhir_base
from fhirapi.rest.views import FhirView
from fhirapi.search.capability import search_capability, system_search_capability
from fhirapi.smart.discovery import capability_security
from fhirapi.store.resource_types import RESOURCE_TYPES

TYPE_INTERACTIONS = [
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
]
SYSTEM_INTERACTIONS = ["transaction", "batch", "search-system", "history-system"]


class MetadataView(FhirView):
    permission_classes = [AllowAny]
    audited = False  # the CapabilityStatement holds no patient data

    def get(self, request: Request) -> Response:
        statement = capability_statement(fhir_base(request))
        statement["rest"][0]["security"] = capability_security(request)
        return Response(statement)


def capability_statement(base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": settings.WINTEHR_RELEASE_DATE,
        "publisher": "WintEHR",
        "kind": "instance",
        "software": {"name": "WintEHR", "version": settings.WINTEHR_VERSION},
        "implementation": {"description": "WintEHR FHIR R4 server", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "resource": [_resource(resource_type) for resource_type in sorted(RESOURCE_TYPES)],
                "interaction": [{"code": code} for code in SYSTEM_INTERACTIONS],
                **system_search_capability(),
                "operation": [_operation(op) for op in _operations(system=True)],
            }
        ],
    }


def _resource(resource_type: str) -> dict[str, Any]:
    if resource_type == "AuditEvent":
        return audit_event_capability()
    capability = search_capability(resource_type)
    return {
        "type": resource_type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
        "interaction": [{"code": code} for code in TYPE_INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "full-support",
        "conditionalUpdate": True,
        "conditionalDelete": "multiple",
        "referencePolicy": ["literal", "logical", "local"],
        **capability,
        "operation": [_operation(op) for op in _operations(resource_type=resource_type)],
    }


def _operations(*, system: bool = False, resource_type: str | None = None) -> list[Operation]:
    if system:
        return [op for op in OPERATIONS.values() if op.system]
    return [
        op
        for op in OPERATIONS.values()
        if (op.type_level or op.instance)
        and (op.resource_types is None or resource_type in op.resource_types)
    ]


def _operation(operation: Operation) -> dict[str, str]:
    return {"name": operation.name, "definition": operation.definition_url}
