import pydicom
import pytest

from imaging.models import Instance
from tests.imaging.conftest import CT, MR, MR_RLE
from tests.imaging.dicomweb_client import STOW_TYPE, sequence, stow_body, token_client, value

pytestmark = pytest.mark.django_db

FAILED, REFERENCED, FAILURE_REASON = "00081198", "00081199", "00081197"
SOP_INSTANCE = "00081155"


def test_stow_stores_the_good_parts_and_fails_the_bad_ones(physician):
    body = stow_body(
        CT.read_bytes(), b"garbage" * 40, ("application/dicom+json", b"[]"), MR_RLE.read_bytes()
    )
    response = token_client(physician).post("/dicomweb/studies", body, content_type=STOW_TYPE)

    assert response.status_code == 202
    assert response["Content-Type"] == "application/dicom+json"
    answer = response.json()
    stored = [value(item, SOP_INSTANCE) for item in sequence(answer, REFERENCED)]
    assert stored == [_uid(CT), _uid(MR_RLE)]
    assert all(
        value(item, "00081190").startswith("http://testserver/dicomweb/studies/")
        for item in sequence(answer, REFERENCED)
    )
    assert [value(item, FAILURE_REASON) for item in sequence(answer, FAILED)] == [0xC000, 0xC000]
    assert Instance.objects.count() == 2


def test_stow_of_nothing_storable_is_a_conflict(physician):
    response = token_client(physician).post(
        "/dicomweb/studies", stow_body(b"x" * 300), content_type=STOW_TYPE
    )
    assert response.status_code == 409
    assert sequence(response.json(), FAILED)


def test_stow_to_a_study_refuses_instances_of_another(physician):
    study_uid = str(pydicom.dcmread(CT, stop_before_pixels=True).StudyInstanceUID)
    body = stow_body(CT.read_bytes(), MR.read_bytes())
    response = token_client(physician).post(
        f"/dicomweb/studies/{study_uid}", body, content_type=STOW_TYPE
    )
    assert response.status_code == 202
    [failure] = sequence(response.json(), FAILED)
    assert value(failure, FAILURE_REASON) == 0xA900
    assert value(failure, SOP_INSTANCE) == _uid(MR)


def test_stow_again_is_idempotent(physician):
    client = token_client(physician)
    client.post("/dicomweb/studies", stow_body(CT.read_bytes()), content_type=STOW_TYPE)
    response = client.post("/dicomweb/studies", stow_body(CT.read_bytes()), content_type=STOW_TYPE)
    assert response.status_code == 200
    assert Instance.objects.count() == 1


def test_stow_needs_multipart_related(physician):
    response = token_client(physician).post(
        "/dicomweb/studies", CT.read_bytes(), content_type="application/dicom"
    )
    assert response.status_code == 415


def test_stow_needs_the_right_to_document(pharmacist):
    response = token_client(pharmacist).post(
        "/dicomweb/studies", stow_body(CT.read_bytes()), content_type=STOW_TYPE
    )
    assert response.status_code == 403
    assert not Instance.objects.exists()


def test_stow_with_a_session_needs_the_csrf_token(physician):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(physician)
    response = client.post("/dicomweb/studies", stow_body(CT.read_bytes()), content_type=STOW_TYPE)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def _uid(path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)
