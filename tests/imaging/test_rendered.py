import io

import numpy as np
import pydicom
import pytest
from PIL import Image

from tests.imaging.conftest import (
    CT,
    DICOMDIR,
    MR_JPEG_LS,
    MR_RLE,
    MULTIFRAME,
    NM_JPEG2000,
    US_JPEG,
    ingest,
)
from tests.imaging.dicomweb_client import token_client

pytestmark = pytest.mark.django_db
CR_MONOCHROME1 = DICOMDIR / "77654033" / "CR3" / "6278"


@pytest.fixture
def client(physician):
    return token_client(physician)


def _url(path, frame: int | None = None) -> str:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    series = f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
    base = f"{series}/instances/{ds.SOPInstanceUID}"
    return f"{base}/frames/{frame}/rendered" if frame else f"{base}/rendered"


def _image(response) -> Image.Image:
    assert response.status_code == 200, response.content
    return Image.open(io.BytesIO(response.content))


def test_png_and_jpeg_by_accept_with_the_frame_size(physician, client):
    ingest(physician, CT)
    png = _image(client.get(_url(CT), HTTP_ACCEPT="image/png"))
    assert png.format == "PNG" and png.size == (128, 128) and png.mode == "L"
    jpeg = _image(client.get(_url(CT, 1), HTTP_ACCEPT="image/jpeg"))
    assert jpeg.format == "JPEG" and jpeg.size == (128, 128)
    assert _image(client.get(_url(CT), {"accept": "image/png"})).format == "PNG"
    assert client.get(_url(CT), HTTP_ACCEPT="image/gif").status_code == 406


def test_viewport_scales_keeping_the_aspect_ratio(physician, client):
    ingest(physician, NM_JPEG2000)  # 256 wide, 1024 high
    assert _image(client.get(_url(NM_JPEG2000), {"viewport": "100,100"})).size == (25, 100)
    assert _image(client.get(_url(NM_JPEG2000), {"viewport": "512,4096"})).size == (512, 2048)


def test_window_parameters_change_the_pixels(physician, client):
    ingest(physician, CT)
    default = client.get(_url(CT), HTTP_ACCEPT="image/png")
    narrow = np.asarray(_image(client.get(_url(CT), {"window": "40,80", "accept": "image/png"})))
    wide = np.asarray(_image(client.get(_url(CT), {"window": "40,2000", "accept": "image/png"})))
    sigmoid = np.asarray(
        _image(client.get(_url(CT), {"window": "40,80,sigmoid", "accept": "image/png"}))
    )
    assert default["X-Window"]  # the file's own window, or the frame's range
    assert not np.array_equal(narrow, wide)
    assert not np.array_equal(narrow, sigmoid)
    assert narrow.std() > wide.std()  # a narrow window spreads contrast
    assert client.get(_url(CT), {"window": "40"}).status_code == 400
    assert client.get(_url(CT), {"viewport": "0,10"}).status_code == 400


def test_monochrome1_is_inverted(physician, client):
    ingest(physician, CR_MONOCHROME1)
    ds = pydicom.dcmread(CR_MONOCHROME1)
    rendered = np.asarray(_image(client.get(_url(CR_MONOCHROME1), {"accept": "image/png"})))
    correlation = np.corrcoef(ds.pixel_array.ravel(), rendered.ravel())[0, 1]
    assert correlation < -0.9  # high values show dark in MONOCHROME1


@pytest.mark.parametrize(
    "path",
    [MR_RLE, MR_JPEG_LS, NM_JPEG2000, US_JPEG],
    ids=["rle", "jpeg-ls", "jpeg2000", "jpeg-baseline"],
)
def test_compressed_transfer_syntaxes_render(physician, client, path):
    ingest(physician, path)
    image = _image(client.get(_url(path), {"accept": "image/png"}))
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert image.size == (ds.Columns, ds.Rows)
    assert np.asarray(image).std() > 5  # a picture, not a blank
    if path == US_JPEG:
        assert image.mode == "RGB"


def test_every_frame_of_a_multiframe_image(physician, client):
    ingest(physician, MULTIFRAME)
    first = np.asarray(_image(client.get(_url(MULTIFRAME, 1), {"accept": "image/png"})))
    last = np.asarray(_image(client.get(_url(MULTIFRAME, 10), {"accept": "image/png"})))
    assert not np.array_equal(first, last)
    assert client.get(_url(MULTIFRAME, 11)).status_code == 400


def test_rendered_frames_are_cached_on_disk(physician, client, imaging_storage):
    ingest(physician, CT)
    first = client.get(_url(CT), {"window": "100,500"})
    cached = list((imaging_storage / "rendered").rglob("*"))
    assert [p for p in cached if p.is_file()]
    again = client.get(_url(CT), {"window": "100,500"})
    assert (
        again.content == first.content
        and again["X-Window"] == first["X-Window"] == "100,500,linear"
    )
