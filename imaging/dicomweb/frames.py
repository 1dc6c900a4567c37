"""WADO-RS frame retrieval (the pixel data of chosen frames, as stored): native frames as
application/octet-stream, compressed ones in their own media type (image/jpeg, image/jp2, ...)."""

from pydicom import dcmread
from pydicom.encaps import generate_frames
from pydicom.pixels.utils import get_expected_length
from pydicom.uid import UID

from imaging.models import Instance
from imaging.storage import dicom_storage

OCTET_STREAM = "application/octet-stream"
COMPRESSED_TYPES = {
    "1.2.840.10008.1.2.4.50": "image/jpeg",
    "1.2.840.10008.1.2.4.51": "image/jpeg",
    "1.2.840.10008.1.2.4.57": "image/jpeg",
    "1.2.840.10008.1.2.4.70": "image/jpeg",
    "1.2.840.10008.1.2.4.80": "image/jls",
    "1.2.840.10008.1.2.4.81": "image/jls",
    "1.2.840.10008.1.2.4.90": "image/jp2",
    "1.2.840.10008.1.2.4.91": "image/jp2",
    "1.2.840.10008.1.2.5": "image/x-dicom-rle",
}


class NoSuchFrame(Exception):
    pass


def frame_numbers(text: str, count: int) -> list[int]:
    numbers = []
    for item in text.split(","):
        if not item.strip().isdigit() or not 1 <= int(item) <= count:
            raise NoSuchFrame(f"frame {item.strip()!r} does not exist (1-{count})")
        numbers.append(int(item))
    return numbers


def frames_read(instance: Instance, numbers: list[int]) -> tuple[str, list[bytes]]:
    """(media type, the frames' bytes in the order asked)."""
    with dicom_storage().open(instance.file_path, "rb") as handle:
        ds = dcmread(handle)
    if "PixelData" not in ds:
        raise NoSuchFrame("this instance holds no pixel data")
    syntax = UID(instance.transfer_syntax_uid)
    if syntax.is_encapsulated:
        frames = list(generate_frames(ds.PixelData, number_of_frames=instance.number_of_frames))
        return COMPRESSED_TYPES.get(str(syntax), OCTET_STREAM), [frames[n - 1] for n in numbers]
    size = get_expected_length(ds, unit="bytes") // instance.number_of_frames
    data = ds.PixelData
    return OCTET_STREAM, [data[(n - 1) * size : n * size] for n in numbers]
