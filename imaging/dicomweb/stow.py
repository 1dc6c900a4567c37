"""STOW-RS (PS3.18 10.5): the request body spooled to a temporary file (never whole in memory,
bounded by IMAGING_MAX_UPLOAD_BYTES), its application/dicom parts ingested one by one, and the
answer as DICOM JSON with ReferencedSOPSequence and FailedSOPSequence."""

import mmap
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest

from imaging.dicomweb.dicom_json import dataset_json
from imaging.dicomweb.multipart import boundary_of, parts_read
from imaging.dicomweb.wado import DICOM
from imaging.services.ingest import CANNOT_UNDERSTAND, IngestReport, Status
from imaging.uploads import IncomingFile, RejectedFile, Upload

CHUNK_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    pass


@contextmanager
def spooled_body(request: HttpRequest) -> Iterator[mmap.mmap | bytes]:
    limit = settings.IMAGING_MAX_UPLOAD_BYTES
    with tempfile.TemporaryFile() as spool:
        size = 0
        while chunk := request.read(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(f"the body is larger than {limit} bytes")
            spool.write(chunk)
        if size == 0:
            yield b""
            return
        spool.flush()
        with mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            yield mapped


def stow_parts(body, content_type: str) -> Iterator[Upload]:
    """Each part as an upload; parts of other types are refused one by one."""
    for number, part in enumerate(parts_read(body, boundary_of(content_type)), start=1):
        name = f"part {number}"
        if part.content_type not in (DICOM, ""):
            yield RejectedFile(name, f"{part.content_type} parts are not accepted, only {DICOM}")
        else:
            yield IncomingFile(name, part.body)


def stow_answer(report: IngestReport, *, base_url: str, study_uid: str) -> tuple[int, dict]:
    """(HTTP status, DICOM JSON): 200 all stored, 202 some failed, 409 none stored."""
    referenced, failed = [], []
    for outcome in report.outcomes:
        if outcome.status in (Status.STORED, Status.DUPLICATE):
            url = (
                f"{base_url}/studies/{outcome.study_uid}/series/{outcome.series_uid}"
                f"/instances/{outcome.sop_instance_uid}"
            )
            referenced.append(
                dataset_json(
                    {
                        "ReferencedSOPClassUID": outcome.sop_class_uid,
                        "ReferencedSOPInstanceUID": outcome.sop_instance_uid,
                        "RetrieveURL": url,
                    }
                )
            )
        elif outcome.status == Status.FAILED:
            failed.append(
                dataset_json(
                    {
                        "ReferencedSOPClassUID": outcome.sop_class_uid,
                        "ReferencedSOPInstanceUID": outcome.sop_instance_uid,
                        "FailureReason": outcome.failure_reason or CANNOT_UNDERSTAND,
                    }
                )
            )
    answer: dict = {}
    studies = {o.study_uid for o in report.outcomes if o.study_uid and o.status != Status.FAILED}
    if study_uid or len(studies) == 1:
        answer.update(
            dataset_json({"RetrieveURL": f"{base_url}/studies/{study_uid or studies.pop()}"})
        )
    if failed:
        answer["00081198"] = {"vr": "SQ", "Value": failed}
    if referenced:
        answer["00081199"] = {"vr": "SQ", "Value": referenced}
    status = 200 if not failed else (202 if referenced else 409)
    return status, dict(sorted(answer.items()))
