"""/fhir/bulk/...: the status and file URLs of bulk jobs (included before the generic FHIR
routes in fhirapi/urls.py)."""

from django.urls import path

from fhirapi.bulk import views

urlpatterns = [
    path("export/<uuid:job_id>", views.ExportStatusView.as_view(), name="fhir-bulk-export"),
    path(
        "export/<uuid:job_id>/<str:name>",
        views.ExportFileView.as_view(),
        name="fhir-bulk-export-file",
    ),
    path("import/<uuid:job_id>", views.ImportStatusView.as_view(), name="fhir-bulk-import"),
]
