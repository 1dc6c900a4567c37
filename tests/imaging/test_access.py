import pydicom
import pytest
from django.test import Client

from clinical.chart_access.services import chart_restrict
from fhirapi.audit.models import AuditRecord
from tests.imaging.conftest import CT, MR, ingest, patient_with_mrn
from tests.imaging.dicomweb_client import token_client

pytestmark = pytest.mark.django_db


def _study_uid(path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).StudyInstanceUID)


@pytest.mark.parametrize("path", ["/dicomweb/studies", "/dicomweb/studies/1.2.3/metadata", "/wado"])
def test_anonymous_requests_get_401_json(anonymous_client, path):
    response = anonymous_client.get(path)
    assert response.status_code == 401
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_gets_401():
    response = Client(HTTP_AUTHORIZATION="Bearer not-a-token").get("/dicomweb/studies")
    assert response.status_code == 401


def test_users_without_a_clinical_role_get_403(physician, outsider, front_desk, signed_in):
    ingest(physician, CT)
    for user in (outsider, front_desk):
        assert token_client(user).get("/dicomweb/studies").status_code == 403
        viewer = signed_in(user).get(f"/imaging/studies/{_study_uid(CT)}/viewer")
        assert viewer.status_code == 403


def test_a_restricted_chart_hides_its_images(physician, nurse, administrator):
    patient_id = patient_with_mrn("1CT1")
    ingest(physician, CT, MR)
    chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=[nurse])

    outside = token_client(physician)  # may break the glass, has not
    assert [s["0020000D"]["Value"][0] for s in outside.get("/dicomweb/studies").json()] == [
        _study_uid(MR)
    ]
    refused = outside.get(f"/dicomweb/studies/{_study_uid(CT)}")
    assert refused.status_code == 403 and "break the glass" in refused.json()["detail"]
    assert outside.get(f"/dicomweb/studies/{_study_uid(CT)}/series").status_code == 403

    inside = token_client(nurse)
    assert inside.get(f"/dicomweb/studies/{_study_uid(CT)}").status_code == 200


def test_image_access_is_audited_with_the_patient(physician):
    patient_id = patient_with_mrn("1CT1")
    [study] = ingest(physician, CT).studies
    assert AuditRecord.objects.filter(subtype="dicom-import", patient_id=patient_id).exists()

    token_client(physician).get(f"/dicomweb/studies/{study.study_instance_uid}/metadata")
    record = AuditRecord.objects.filter(subtype="dicom-instances-accessed").get()
    assert record.username == physician.username and record.patient_id == patient_id
    assert (
        record.resource_type == "ImagingStudy" and record.resource_id == study.imaging_study_fhir_id
    )
    assert record.content["type"]["code"] == "110103"

    token_client(physician).get("/dicomweb/studies", {"PatientID": "1CT1"})
    assert AuditRecord.objects.filter(subtype="dicom-query").exists()


def test_viewer_traffic_is_audited_once_per_window(physician, settings):
    settings.IMAGING_AUDIT_WINDOW_SECONDS = 300
    [study] = ingest(physician, CT).studies
    client = token_client(physician)
    for _ in range(3):
        client.get(f"/dicomweb/studies/{study.study_instance_uid}/metadata")
    assert AuditRecord.objects.filter(subtype="dicom-instances-accessed").count() == 1
