import pydicom
import pytest

from tests.imaging.conftest import CT, MR_RLE, MULTIFRAME, US_JPEG, ingest, variant
from tests.imaging.dicomweb_client import response_parts, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(physician):
    return token_client(physician)


def _uids(path) -> tuple[str, str, str]:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)


def test_instance_series_and_study_come_back_byte_for_byte(physician, client):
    study, series, sop = _uids(CT)
    sibling = variant(CT, StudyInstanceUID=study, SeriesInstanceUID=series)
    other_series = variant(CT, StudyInstanceUID=study)
    ingest(physician, CT, ("sibling.dcm", sibling), ("other.dcm", other_series))

    response = client.get(f"/dicomweb/studies/{study}/series/{series}/instances/{sop}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith('multipart/related; type="application/dicom"')
    assert response_parts(response) == [CT.read_bytes()]

    series_parts = response_parts(client.get(f"/dicomweb/studies/{study}/series/{series}"))
    assert sorted(series_parts) == sorted([CT.read_bytes(), sibling])
    study_parts = response_parts(client.get(f"/dicomweb/studies/{study}"))
    assert sorted(study_parts) == sorted([CT.read_bytes(), sibling, other_series])


def test_unknown_uids_are_404_and_other_media_types_406(physician, client):
    study, series, _ = _uids(CT)
    ingest(physician, CT)
    assert (
        client.get(f"/dicomweb/studies/{study}/series/{series}/instances/1.2.3").status_code == 404
    )
    assert client.get("/dicomweb/studies/1.2.3").status_code == 404
    refused = client.get(f"/dicomweb/studies/{study}", HTTP_ACCEPT="application/zip")
    assert refused.status_code == 406
    accepted = client.get(
        f"/dicomweb/studies/{study}",
        HTTP_ACCEPT='multipart/related; type="application/dicom"; transfer-syntax=*',
    )
    assert accepted.status_code == 200


def test_metadata_is_dicom_json_without_bulk_data(physician, client):
    study, series, sop = _uids(MULTIFRAME)
    ingest(physician, MULTIFRAME, MR_RLE)
    [header] = client.get(
        f"/dicomweb/studies/{study}/series/{series}/instances/{sop}/metadata"
    ).json()
    assert header["00080018"] == {"vr": "UI", "Value": [sop]}
    assert header["00280008"]["Value"] == [10]
    pixel_data = header["7FE00010"]
    assert "InlineBinary" not in pixel_data and "Value" not in pixel_data
    assert pixel_data["BulkDataURI"].endswith(f"/instances/{sop}/frames/1,2,3,4,5,6,7,8,9,10")
    assert len(client.get(f"/dicomweb/studies/{study}/metadata").json()) == 1


def test_frames_are_retrieved_as_stored(physician, client):
    ingest(physician, MULTIFRAME, US_JPEG)
    study, series, sop = _uids(MULTIFRAME)
    response = client.get(f"/dicomweb/studies/{study}/series/{series}/instances/{sop}/frames/2,10")
    frames = response_parts(response)
    pixels = pydicom.dcmread(MULTIFRAME).pixel_array
    assert [len(f) for f in frames] == [64 * 64 * 2] * 2
    assert frames[1] == pixels[9].tobytes()
    study, series, sop = _uids(US_JPEG)
    response = client.get(f"/dicomweb/studies/{study}/series/{series}/instances/{sop}/frames/1")
    assert 'type="image/jpeg"' in response["Content-Type"]
    assert response_parts(response)[0].startswith(b"\xff\xd8")
    assert (
        client.get(
            f"/dicomweb/studies/{study}/series/{series}/instances/{sop}/frames/2"
        ).status_code
        == 404
    )
