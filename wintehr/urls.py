from django.contrib import admin
from django.urls import include, path, re_path

from wintehr import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("clinical.operations.urls")),  # /metrics, /admin/status/: before the admin
    path("", include("fhirapi.smart.urls")),  # SMART authorization server; before /fhir
    # The FHIR API early: URL resolution tries the patterns in order, on every request.
    re_path(r"^fhir/?", include("fhirapi.urls")),
    path("admin/", admin.site.urls),
    path("explorer/", include("fhirapi.explorer.urls")),
    path("accounts/", include("clinical.accounts.urls")),
    path("charts/", include("clinical.chart_access.urls")),
    path("", include("clinical.urls")),  # the workspace: / (home), /patients/, /chart/...
    path("", include("cds.urls")),  # CDS Hooks: /cds-services, /cds/rules/
    path("", include("imaging.dicomweb.urls")),  # DICOMweb: /dicomweb/..., WADO-URI: /wado
    path("imaging/", include("imaging.urls")),
]
