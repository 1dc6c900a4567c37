"""The clinician's workspace: the finder at /patients/, charts at /chart/<id>/, the results
inbox and the catalog's autocomplete endpoints."""

from django.urls import include, path

urlpatterns = [
    path("", include("clinical.finder.urls")),
    path("chart/", include("clinical.chart.urls")),
]
