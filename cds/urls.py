from django.urls import include, path, re_path

from cds import views
from cds.performance.views import performance

SERVICE_ID = r"(?P<service_id>[A-Za-z0-9][A-Za-z0-9_.\-]{0,199})"

urlpatterns = [
    re_path(r"^cds-services/?$", views.discovery, name="cds-discovery"),
    re_path(rf"^cds-services/{SERVICE_ID}/feedback/?$", views.feedback, name="cds-feedback"),
    re_path(rf"^cds-services/{SERVICE_ID}/?$", views.service_call, name="cds-service"),
    path("cds/jwks.json", views.client_jwks, name="cds-client-jwks"),
    path("cds/rules/", include("cds.rules.urls")),
    path("cds/performance/", performance, name="cds-performance"),
]
