"""The demo population's ImagingStudy resources are backed by real DICOM files: setup_demo stores
them through the imaging app, under the demo patients, so the chart lists them and the viewer
shows their images."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from fhirapi.demo.catalogue import IMAGING
from fhirapi.store.models import ResourceRecord
from imaging.models import Instance, Study
from imaging.selectors import patient_studies

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # setup_demo makes its users in development only
    settings.WINTEHR_DEMO_PATIENTS = 3
    out = StringIO()
    call_command("setup_demo", stdout=out)
    return out.getvalue()


def imaging_studies() -> dict[str, dict]:
    """The ImagingStudy resources, by the study UID they name."""
    records = ResourceRecord.objects.filter(resource_type="ImagingStudy", deleted=False)
    return {r.content["identifier"][0]["value"].removeprefix("urn:oid:"): r for r in records}


def test_setup_demo_files_the_dicom_files_under_the_demo_imaging_studies(
    demo, physician, signed_in
):
    assert f"Demo images: {len(IMAGING)} DICOM file(s) stored" in demo
    by_uid = imaging_studies()
    assert set(by_uid) == {study[2] for study in IMAGING}  # updated in place, none added
    for study_uid, record in by_uid.items():
        study = Study.objects.get(study_instance_uid=study_uid)
        patient_id = record.content["subject"]["reference"].removeprefix("Patient/")
        assert (study.patient_fhir_id, study.imaging_study_fhir_id) == (
            patient_id,
            record.resource_id,
        )
        [listed] = patient_studies(user=physician, patient_id=patient_id)
        assert listed.study_uid == study_uid and listed.number_of_instances == 1
        assert record.content["endpoint"] and record.content["series"][0]["instance"]
        viewer = signed_in(physician).get(reverse("imaging:viewer", args=[study_uid]))
        assert viewer.status_code == 200
        [series] = viewer.context["config"]["series"]
        assert series["images"][0]["frames"] == 1


def test_running_setup_demo_again_stores_nothing_twice(demo):
    again = StringIO()
    call_command("setup_demo", stdout=again)

    assert "Demo images" not in again.getvalue()
    assert Instance.objects.count() == Study.objects.count() == len(IMAGING)
    assert len(imaging_studies()) == len(IMAGING)
