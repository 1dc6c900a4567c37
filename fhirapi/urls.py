from django.urls import include, path, re_path

from fhirapi.audit import rest as audit
from fhirapi.bulk import views as bulk
from fhirapi.rest import capability, history, openapi, operations, views
from fhirapi.rest.errors import fhir_not_found

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]+)"
ID = r"(?P<resource_id>[A-Za-z0-9\-.]{1,64})"
OPERATION = r"\$(?P<operation>[a-z][a-z-]*)"

urlpatterns = [
    re_path(r"^$", views.SystemView.as_view(), name="fhir-system"),
    re_path(r"^metadata/?$", capability.MetadataView.as_view(), name="fhir-metadata"),
    re_path(r"^openapi\.json$", openapi.OpenApiView.as_view(), name="fhir-openapi"),
    # AuditEvent comes from the audit trail (fhirapi/audit), not the resource store: before TYPE.
    re_path(r"^AuditEvent/?$", audit.AuditEventTypeView.as_view(), name="fhir-auditevent-search"),
    re_path(
        r"^AuditEvent/_search/?$", audit.AuditEventSearchView.as_view(), name="fhir-auditevent-post"
    ),
    re_path(
        rf"^AuditEvent/{ID}/?$", audit.AuditEventInstanceView.as_view(), name="fhir-auditevent-read"
    ),
    re_path(r"^AuditEvent/", audit.AuditEventUnsupportedView.as_view()),
    # Bulk Data (fhirapi/bulk): job status and files; $import also takes an NDJSON body.
    path("bulk/", include("fhirapi.bulk.urls")),
    re_path(r"^\$(?P<operation>import)/?$", bulk.ImportOperationView.as_view(), name="fhir-import"),
    re_path(rf"^{OPERATION}/?$", operations.OperationView.as_view(), name="fhir-op-system"),
    re_path(rf"^{TYPE}/{OPERATION}/?$", operations.OperationView.as_view(), name="fhir-op-type"),
    re_path(
        rf"^{TYPE}/{ID}/{OPERATION}/?$", operations.OperationView.as_view(), name="fhir-op-instance"
    ),
    re_path(r"^_history/?$", history.HistoryView.as_view(), name="fhir-history-system"),
    re_path(rf"^{TYPE}/?$", views.TypeView.as_view(), name="fhir-type"),
    re_path(rf"^{TYPE}/_search/?$", views.SearchView.as_view(), name="fhir-search"),
    re_path(rf"^{TYPE}/_history/?$", history.HistoryView.as_view(), name="fhir-history-type"),
    re_path(
        rf"^Patient/{ID}/(?P<resource_type>[A-Z][A-Za-z]+|\*)/?$",
        views.CompartmentView.as_view(),
        name="fhir-compartment",
    ),
    re_path(rf"^{TYPE}/{ID}/?$", views.InstanceView.as_view(), name="fhir-instance"),
    re_path(
        rf"^{TYPE}/{ID}/_history/?$", history.HistoryView.as_view(), name="fhir-history-instance"
    ),
    re_path(
        rf"^{TYPE}/{ID}/_history/(?P<version_id>[^/]+)/?$",
        views.VersionView.as_view(),
        name="fhir-vread",
    ),
    re_path(r"^(?P<unknown_path>(?s:.+))$", fhir_not_found),  # (?s): a %0A in a path too
]
