"""DICOMweb under /dicomweb, and WADO-URI at /wado (both included at the site root)."""

from django.urls import path, register_converter

from imaging.dicomweb import views


class UidConverter:
    regex = r"[0-9.]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UidConverter, "uid")

STUDY = "dicomweb/studies/<uid:study_uid>"
SERIES = f"{STUDY}/series/<uid:series_uid>"
INSTANCE = f"{SERIES}/instances/<uid:sop_uid>"

urlpatterns = [
    path("wado", views.wado_uri, name="wado-uri"),
    path("dicomweb/studies", views.studies, name="dicomweb-studies"),
    path("dicomweb/series", views.series_search, name="dicomweb-series"),
    path("dicomweb/instances", views.instances_search, name="dicomweb-instances"),
    path(STUDY, views.study_retrieve, name="dicomweb-study"),
    path(f"{STUDY}/metadata", views.metadata, name="dicomweb-study-metadata"),
    path(f"{STUDY}/series", views.series_search, name="dicomweb-study-series"),
    path(f"{STUDY}/instances", views.instances_search, name="dicomweb-study-instances"),
    path(SERIES, views.series_retrieve, name="dicomweb-series-retrieve"),
    path(f"{SERIES}/metadata", views.metadata, name="dicomweb-series-metadata"),
    path(f"{SERIES}/instances", views.instances_search, name="dicomweb-series-instances"),
    path(INSTANCE, views.instance_retrieve, name="dicomweb-instance"),
    path(f"{INSTANCE}/metadata", views.metadata, name="dicomweb-instance-metadata"),
    path(f"{INSTANCE}/rendered", views.rendered, name="dicomweb-instance-rendered"),
    path(f"{INSTANCE}/frames/<str:frames>", views.frames_retrieve, name="dicomweb-frames"),
    path(f"{INSTANCE}/frames/<str:frame>/rendered", views.rendered, name="dicomweb-frame-rendered"),
]
