"""Searching and pulling from a real PACS: Orthanc with its DICOMweb plugin, started here."""

import pydicom
import pytest
from django.urls import reverse

from imaging.models import Instance, RemotePacs
from imaging.services.pacs import pacs_search, pacs_study_pull, pacs_targets
from imaging.storage import dicom_storage
from tests.imaging.conftest import CT, MR_RLE, patient_with_mrn
from tests.imaging.orthanc_server import orthanc_missing, orthanc_running

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(bool(orthanc_missing()), reason=orthanc_missing() or "Orthanc present"),
]


@pytest.fixture(scope="module")
def orthanc():
    with orthanc_running() as server:
        for path in (CT, MR_RLE):
            server.upload(path.read_bytes())
        yield server


@pytest.fixture
def pacs(orthanc, db):
    RemotePacs.objects.create(name="orthanc", base_url=orthanc.dicomweb_url)
    [target] = pacs_targets()
    return target


def test_search_and_pull_a_study(pacs, physician):
    patient_id = patient_with_mrn("4MR1")
    # (Orthanc 1.10 with DICOMweb 1.7, as Debian 12 ships them, matches no PatientName over QIDO.)
    found = pacs_search(target=pacs, filters={"PatientID": "4MR1", "ModalitiesInStudy": "MR"})
    assert [(s.patient_id, s.modalities, s.number_of_instances) for s in found] == [
        ("4MR1", "MR", "1")
    ]
    by_date = pacs_search(target=pacs, filters={"StudyDate": "20040101-20040131"})
    assert {s.patient_id for s in by_date} == {"1CT1"}

    report = pacs_study_pull(target=pacs, study_uid=found[0].study_uid, acting_user=physician)
    assert report.count("stored") == 1
    [study] = report.studies
    assert study.patient_fhir_id == patient_id and study.imaging_study_fhir_id
    instance = Instance.objects.get()
    pulled = pydicom.dcmread(dicom_storage().open(instance.file_path))
    original = pydicom.dcmread(MR_RLE)
    assert instance.transfer_syntax_uid == original.file_meta.TransferSyntaxUID  # kept as stored
    assert pulled.PixelData == original.PixelData

    again = pacs_study_pull(target=pacs, study_uid=found[0].study_uid, acting_user=physician)
    assert again.count("duplicate") == 1 and Instance.objects.count() == 1


def test_the_pacs_page_searches_and_pulls(pacs, physician, signed_in):
    client = signed_in(physician)
    page = client.get(reverse("imaging:pacs"), {"pacs": pacs.key, "PatientID": "1CT1"})
    assert page.status_code == 200
    [result] = page.context["results"]
    pulled = client.post(
        reverse("imaging:pacs-pull"), {"pacs": pacs.key, "study_uid": result.study_uid}
    )
    assert pulled.status_code == 200
    assert pulled.context["report"].count("stored") == 1


def test_an_unreachable_pacs_is_reported(physician, signed_in, settings):
    settings.IMAGING_PACS_URL = "http://127.0.0.1:9/dicom-web"
    response = signed_in(physician).get(reverse("imaging:pacs"), {"pacs": "env", "PatientID": "x"})
    assert response.status_code == 200
    assert b"The PACS did not answer" in response.content
