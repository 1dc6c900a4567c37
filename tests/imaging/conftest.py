import io
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid

from fhirapi.services import FhirRepository
from imaging.rendering import decoded_frame
from imaging.services.ingest import IngestReport, dicom_ingest
from imaging.uploads import IncomingFile

DICOM_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dicom"
CT = DICOM_FIXTURES / "CT_small.dcm"  # PatientID 1CT1, CompressedSamples^CT1, 2004-01-19
MR = DICOM_FIXTURES / "MR_small.dcm"  # PatientID 4MR1, 2004-08-26
MR_RLE = DICOM_FIXTURES / "MR_small_RLE.dcm"
MR_JPEG_LS = DICOM_FIXTURES / "MR_small_jpeg_ls_lossless.dcm"
NM_JPEG2000 = DICOM_FIXTURES / "JPEG2000.dcm"
US_JPEG = DICOM_FIXTURES / "US_small_jpeg_baseline.dcm"
MULTIFRAME = DICOM_FIXTURES / "emri_small.dcm"  # 10 frames
DICOMDIR = DICOM_FIXTURES / "dicomdir"


@pytest.fixture(autouse=True)
def imaging_storage(settings, tmp_path):
    """Each test its own DICOM store and render cache."""
    settings.STORAGES = {
        **settings.STORAGES,
        "dicom": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "dicom"},
        },
    }
    settings.IMAGING_RENDER_CACHE_DIR = tmp_path / "rendered"
    settings.IMAGING_AUDIT_WINDOW_SECONDS = 0
    decoded_frame.cache_clear()
    return tmp_path


def variant(path: Path, **changes) -> bytes:
    """The file with attributes changed and, unless given, new study/series/instance UIDs."""
    ds = pydicom.dcmread(path)
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        changes.setdefault(keyword, generate_uid())
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def ingest(user, *files: Path | tuple[str, bytes]) -> IngestReport:
    items = [
        IncomingFile(f.name, f.read_bytes()) if isinstance(f, Path) else IncomingFile(*f)
        for f in files
    ]
    return dicom_ingest(files=items, acting_user=user, source="test")


def patient_with_mrn(mrn: str, family: str = "CompressedSamples") -> str:
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": mrn}],
        "name": [{"family": family, "given": ["Test"]}],
    }
    return FhirRepository().create(resource).stored.resource_id
