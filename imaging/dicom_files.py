"""Reading one uploaded DICOM file: checked, normalised to a Part 10 file, with the attributes the
index needs. Anything that is not a storable DICOM instance raises NotDicom with a reason a person
can act on."""

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"  # a DICOMDIR
BULK_DATA_THRESHOLD = 1024  # binary values longer than this stay out of the JSON header
REQUIRED_UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID")


class NotDicom(Exception):
    """The file is not a DICOM instance we can store (the message says why)."""


class DicomDirectory(NotDicom):
    """A DICOMDIR: an index of a file-set, not an image; the files it lists are read alone."""


@dataclass(frozen=True)
class ParsedInstance:
    dataset: Dataset
    data: bytes  # the Part 10 file to store
    transfer_syntax_uid: str

    @property
    def study_uid(self) -> str:
        return str(self.dataset.StudyInstanceUID)

    @property
    def series_uid(self) -> str:
        return str(self.dataset.SeriesInstanceUID)

    @property
    def sop_instance_uid(self) -> str:
        return str(self.dataset.SOPInstanceUID)

    @property
    def sop_class_uid(self) -> str:
        return str(self.dataset.SOPClassUID)


def dicom_parse(data: bytes) -> ParsedInstance:
    dataset = _read(data)
    if _is_directory(dataset):
        raise DicomDirectory(
            "a DICOMDIR (file-set index): skipped, its files are read on their own"
        )
    for keyword in REQUIRED_UIDS:
        value = str(dataset.get(keyword, "") or "").strip()
        if not value and data[128:132] != b"DICM":
            raise NotDicom("not a DICOM file: no DICOM file header and no instance UIDs")
        if not value:
            raise NotDicom(f"not a storable DICOM instance: {keyword} is missing")
        if len(value) > 64 or not UID(value).is_valid:
            raise NotDicom(f"{keyword} {value[:70]!r} is not a valid UID")
    if getattr(dataset, "file_meta", None) and "TransferSyntaxUID" in dataset.file_meta:
        return ParsedInstance(dataset, data, str(dataset.file_meta.TransferSyntaxUID))
    return _as_part10(dataset)


def _read(data: bytes) -> Dataset:
    if len(data) < 132:
        raise NotDicom("not a DICOM file: too short")
    try:
        if data[128:132] == b"DICM":
            return dcmread(io.BytesIO(data))
        dataset = dcmread(io.BytesIO(data), force=True)  # a stream without the Part 10 header
        dataset.get("SOPInstanceUID")  # forces parsing of what a random file would break
        return dataset
    except (InvalidDicomError, ValueError, TypeError, KeyError, EOFError, OverflowError) as exc:
        raise NotDicom(f"not a DICOM file ({type(exc).__name__}: {str(exc)[:120]})") from exc
    except Exception as exc:  # pydicom raises many kinds on corrupt input
        raise NotDicom(f"unreadable DICOM file ({type(exc).__name__})") from exc


def _is_directory(dataset: Dataset) -> bool:
    meta = getattr(dataset, "file_meta", None)
    media_class = meta.get("MediaStorageSOPClassUID") if meta else None
    return media_class == MEDIA_STORAGE_DIRECTORY or "DirectoryRecordSequence" in dataset


def _as_part10(dataset: Dataset) -> ParsedInstance:
    """A bare data set (no preamble, no file meta): given file meta, written as a Part 10 file."""
    implicit_vr, little_endian = dataset.original_encoding
    if implicit_vr:
        syntax = ImplicitVRLittleEndian
    else:
        syntax = ExplicitVRLittleEndian if little_endian else ExplicitVRBigEndian
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    meta.TransferSyntaxUID = syntax
    dataset.file_meta = meta
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return ParsedInstance(dataset, buffer.getvalue(), str(syntax))


def header_json(dataset: Dataset) -> dict[str, Any]:
    """The data set as DICOM JSON without bulk data: large binary values keep only their VR."""
    try:
        header = dataset.to_json_dict(
            bulk_data_threshold=BULK_DATA_THRESHOLD, bulk_data_element_handler=lambda _: ""
        )
    except Exception as exc:  # a value pydicom cannot express in JSON
        raise NotDicom(f"the header cannot be converted to DICOM JSON ({exc})") from exc
    return _without_bulk(header)


def _without_bulk(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_bulk(v) for k, v in value.items() if k != "BulkDataURI"}
    if isinstance(value, list):
        return [_without_bulk(item) for item in value]
    return value


def text(dataset: Dataset, keyword: str, limit: int = 64) -> str:
    value = dataset.get(keyword)
    if value is None:
        return ""
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    return str(value).strip()[:limit]


def integer(dataset: Dataset, keyword: str) -> int | None:
    value = dataset.get(keyword)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def dicom_date(value: str) -> date | None:
    """A DA value (YYYYMMDD; the old YYYY.MM.DD too) as a date; None when absent or malformed."""
    digits = value.replace(".", "").strip()
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
