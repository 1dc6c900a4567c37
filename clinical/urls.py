"""The clinician's workspace: the finder at /patients/, charts at /chart/<id>/, the results
inbox and the catalog's autocomplete endpoints."""

from django.urls import include, path

from clinical.results.views import inbox

urlpatterns = [
    path("", include("clinical.finder.urls")),
    path("chart/", include("clinical.chart.urls")),
    path("inbox/", inbox, name="results-inbox"),
    path("catalog/", include("clinical.catalog.urls")),
    path("pharmacy/", include("clinical.pharmacy.urls")),  # queue, dispensing, MAR
]
