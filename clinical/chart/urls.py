"""Every chart URL: /chart/<patient_id>/<tab>/ and the actions inside a tab."""

from django.urls import path, register_converter

from clinical.chart import views as chart_views
from clinical.vitals import views as vitals_views


class FhirIdConverter:
    regex = r"[A-Za-z0-9\-.]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FhirIdConverter, "fhirid")

urlpatterns = [
    path("<fhirid:patient_id>/", chart_views.summary, name="chart-summary"),
    path("<fhirid:patient_id>/vitals/", vitals_views.vitals, name="chart-vitals"),
    path("<fhirid:patient_id>/timeline/", chart_views.timeline, name="chart-timeline"),
    path("<fhirid:patient_id>/imaging/", chart_views.imaging, name="chart-imaging"),
]
