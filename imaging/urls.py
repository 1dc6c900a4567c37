from django.urls import path, re_path

from imaging import views
from imaging.dicomweb.urls import UidConverter  # noqa: F401 - registers the "uid" converter

app_name = "imaging"

urlpatterns = [
    path("upload/", views.upload_page, name="upload"),
    path("reconciliation/", views.reconciliation_page, name="reconciliation"),
    path("reconciliation/<int:pk>/assign", views.reconciliation_assign, name="assign"),
    path("studies/<uid:study_uid>/viewer", views.viewer_page, name="viewer"),
    re_path(
        r"^patients/(?P<patient_id>[A-Za-z0-9\-.]{1,64})/studies$",
        views.patient_studies_fragment,
        name="patient-studies",
    ),
    path("pacs/", views.pacs_page, name="pacs"),
    path("pacs/pull", views.pacs_pull, name="pacs-pull"),
]
