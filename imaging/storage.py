"""Where DICOM files live: the `dicom` entry of settings.STORAGES, any Django storage backend
(files under IMAGING_DICOM_DIR by default). Files are named by their UIDs."""

from collections.abc import Iterator

from django.core.files.storage import Storage, storages

CHUNK_BYTES = 256 * 1024


def dicom_storage() -> Storage:
    return storages["dicom"]


def instance_file_name(*, study_uid: str, series_uid: str, sop_instance_uid: str) -> str:
    """UIDs are digits and dots (checked on ingest), so they are safe as path components."""
    return f"{study_uid}/{series_uid}/{sop_instance_uid}.dcm"


def file_read(name: str) -> bytes:
    with dicom_storage().open(name, "rb") as handle:
        return handle.read()


def file_chunks(name: str) -> Iterator[bytes]:
    with dicom_storage().open(name, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
