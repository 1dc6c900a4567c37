import pytest
from django.urls import reverse

from clinical.chart_access.services import chart_restrict
from imaging.selectors import patient_studies
from tests.imaging.conftest import CT, MULTIFRAME, ingest, patient_with_mrn, variant

pytestmark = pytest.mark.django_db


def test_the_viewer_page_lists_series_and_frames(physician, signed_in):
    [study] = ingest(physician, MULTIFRAME).studies
    response = signed_in(physician).get(reverse("imaging:viewer", args=[study.study_instance_uid]))
    assert response.status_code == 200
    config = response.context["config"]
    [series] = config["series"]
    assert series["images"][0]["frames"] == 10
    assert config["studiesUrl"] == "/dicomweb/studies"
    assert b'id="viewer-config"' in response.content
    assert b"imaging/viewer.js" in response.content
    assert b"/rendered?viewport=96,96" in response.content  # the series thumbnail


def test_an_unknown_study_is_404(physician, signed_in):
    assert signed_in(physician).get(reverse("imaging:viewer", args=["1.2.3"])).status_code == 404


def test_patient_studies_newest_first_and_scoped(physician, nurse, administrator, signed_in):
    patient_id = patient_with_mrn("1CT1")
    ingest(
        physician,
        CT,
        ("later.dcm", variant(CT, StudyDate="20240301", StudyDescription="Follow-up")),
    )
    studies = patient_studies(user=physician, patient_id=patient_id)
    assert [s.study_date.isoformat() for s in studies] == ["2024-03-01", "2004-01-19"]
    assert studies[0].description == "Follow-up" and studies[0].number_of_instances == 1
    assert studies[0].viewer_url.endswith("/viewer")

    fragment = signed_in(physician).get(reverse("imaging:patient-studies", args=[patient_id]))
    assert fragment.status_code == 200 and b"Follow-up" in fragment.content

    chart_restrict(patient_id=patient_id, acting_user=administrator, care_team=[nurse])
    assert patient_studies(user=physician, patient_id=patient_id) == []
    assert len(patient_studies(user=nurse, patient_id=patient_id)) == 2
