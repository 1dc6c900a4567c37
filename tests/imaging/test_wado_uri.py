import io

import pydicom
import pytest
from PIL import Image

from tests.imaging.conftest import CT, ingest
from tests.imaging.dicomweb_client import token_client

pytestmark = pytest.mark.django_db


def _params(**extra) -> dict:
    ds = pydicom.dcmread(CT, stop_before_pixels=True)
    return {
        "requestType": "WADO",
        "studyUID": str(ds.StudyInstanceUID),
        "seriesUID": str(ds.SeriesInstanceUID),
        "objectUID": str(ds.SOPInstanceUID),
        **extra,
    }


def test_wado_uri_gives_the_file_or_a_picture(physician):
    ingest(physician, CT)
    client = token_client(physician)
    dicom = client.get("/wado", _params(contentType="application/dicom"))
    assert dicom["Content-Type"] == "application/dicom" and dicom.content == CT.read_bytes()
    jpeg = client.get("/wado", _params())
    assert jpeg["Content-Type"] == "image/jpeg"
    png = client.get(
        "/wado", _params(contentType="image/png", rows="64", windowCenter="40", windowWidth="400")
    )
    image = Image.open(io.BytesIO(png.content))
    assert image.format == "PNG" and image.size == (64, 64)
    assert png["X-Window"] == "40,400,linear"


def test_wado_uri_refuses_incomplete_requests(physician):
    client = token_client(physician)
    assert client.get("/wado", {"requestType": "WADO"}).status_code == 400
    assert client.get("/wado", _params(requestType="other")).status_code == 400
    assert client.get("/wado", _params()).status_code == 404
