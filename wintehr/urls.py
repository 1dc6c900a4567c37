from django.contrib import admin
from django.urls import include, path, re_path

from wintehr import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    re_path(r"^fhir/?", include("fhirapi.urls")),
]
