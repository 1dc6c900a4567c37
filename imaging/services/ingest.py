"""Storing DICOM instances: each file parsed, deduplicated by SOP Instance UID, written to the
`dicom` storage and indexed; then each study touched goes into the chart (fhir_link). A broken
file gets its own failure and the others go on."""

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from pydicom.dataset import Dataset

from fhirapi.errors import FhirError
from fhirapi.services import FhirRepository, user_actor
from imaging.audit import image_import_audit
from imaging.dicom_files import (
    DicomDirectory,
    NotDicom,
    ParsedInstance,
    dicom_date,
    dicom_parse,
    header_json,
    integer,
    text,
)
from imaging.models import Instance, Series, Study
from imaging.services.fhir_link import study_link_fhir
from imaging.storage import dicom_storage, instance_file_name
from imaging.uploads import IncomingFile, RejectedFile, Upload

logger = structlog.get_logger(__name__)

# STOW-RS failure reasons (PS3.18 Table 10.5.3-1 / PS3.4 Annex GG)
PROCESSING_FAILURE = 0x0110
CANNOT_UNDERSTAND = 0xC000
STUDY_MISMATCH = 0xA900


class Status(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # the SOP instance was already stored: kept as it was
    SKIPPED = "skipped"  # not an instance (a DICOMDIR)
    FAILED = "failed"


@dataclass(frozen=True)
class FileOutcome:
    name: str
    status: Status
    message: str = ""
    sop_class_uid: str = ""
    sop_instance_uid: str = ""
    study_uid: str = ""
    series_uid: str = ""
    failure_reason: int | None = None


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    studies: list[Study] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # studies stored but not put in the chart

    def count(self, status: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)


def dicom_ingest(
    *,
    files: Iterable[Upload],
    acting_user: AbstractBaseUser,
    source: str,
    expected_study_uid: str = "",
) -> IngestReport:
    """`source` names the way in for the audit trail ("upload", "STOW-RS", "PACS pull")."""
    report = IngestReport()
    stored_per_study: dict[int, int] = {}
    for item in files:
        outcome, study_pk = _file_ingest(item, expected_study_uid)
        report.outcomes.append(outcome)
        if study_pk is not None:
            stored_per_study[study_pk] = stored_per_study.get(study_pk, 0) + (
                outcome.status == Status.STORED
            )
    repository = FhirRepository(actor=user_actor(acting_user))
    for study_pk, stored in stored_per_study.items():
        if not stored:  # only duplicates: the chart already has them
            report.studies.append(Study.objects.get(pk=study_pk))
            continue
        try:
            study = study_link_fhir(study_pk=study_pk, repository=repository)
        except FhirError as exc:
            study = Study.objects.get(pk=study_pk)
            logger.error("imaging.fhir_link_failed", study=study.study_instance_uid, error=str(exc))
            report.problems.append(
                f"study {study.study_instance_uid}: not put in the chart ({exc})"
            )
        report.studies.append(study)
        image_import_audit(user=acting_user, study=study, count=stored, source=source)
    return report


def _file_ingest(item: Upload, expected_study_uid: str) -> tuple[FileOutcome, int | None]:
    if isinstance(item, RejectedFile):
        return FileOutcome(
            item.name, Status.FAILED, item.reason, failure_reason=CANNOT_UNDERSTAND
        ), None
    try:
        parsed = dicom_parse(item.data)
        header = header_json(parsed.dataset)
    except DicomDirectory as exc:
        return FileOutcome(item.name, Status.SKIPPED, str(exc)), None
    except NotDicom as exc:
        return FileOutcome(
            item.name, Status.FAILED, str(exc), failure_reason=CANNOT_UNDERSTAND
        ), None
    facts = {
        "sop_class_uid": parsed.sop_class_uid,
        "sop_instance_uid": parsed.sop_instance_uid,
        "study_uid": parsed.study_uid,
        "series_uid": parsed.series_uid,
    }
    if expected_study_uid and parsed.study_uid != expected_study_uid:
        message = f"belongs to study {parsed.study_uid}, not {expected_study_uid}"
        return FileOutcome(
            item.name, Status.FAILED, message, failure_reason=STUDY_MISMATCH, **facts
        ), None
    return _instance_store(item, parsed, header, facts)


def _instance_store(
    item: IncomingFile, parsed: ParsedInstance, header: dict, facts: dict[str, str]
) -> tuple[FileOutcome, int | None]:
    existing = (
        Instance.objects.filter(sop_instance_uid=parsed.sop_instance_uid)
        .values_list("series__study_id", flat=True)
        .first()
    )
    if existing is not None:
        return FileOutcome(item.name, Status.DUPLICATE, "already stored", **facts), existing
    storage = dicom_storage()
    wanted = instance_file_name(
        study_uid=parsed.study_uid,
        series_uid=parsed.series_uid,
        sop_instance_uid=parsed.sop_instance_uid,
    )
    try:
        name = storage.save(wanted, ContentFile(parsed.data))
    except OSError as exc:  # disk full, storage down: this file fails, nothing is indexed
        with contextlib.suppress(OSError):
            storage.delete(wanted)  # what a full disk left half-written
        logger.error("imaging.storage_failed", file=item.name, error=str(exc))
        message = f"not stored: the image storage failed ({exc.strerror or exc})"
        return FileOutcome(
            item.name, Status.FAILED, message, failure_reason=PROCESSING_FAILURE, **facts
        ), None
    try:
        study_pk = _index_rows(parsed, header, name, len(parsed.data))
    except IntegrityError:  # stored by a concurrent request since our check
        storage.delete(name)
        return FileOutcome(item.name, Status.DUPLICATE, "already stored", **facts), None
    except _Conflict as exc:
        storage.delete(name)
        return FileOutcome(
            item.name, Status.FAILED, str(exc), failure_reason=PROCESSING_FAILURE, **facts
        ), None
    return FileOutcome(item.name, Status.STORED, **facts), study_pk


class _Conflict(Exception):
    pass


@transaction.atomic
def _index_rows(parsed: ParsedInstance, header: dict, file_path: str, size: int) -> int:
    ds = parsed.dataset
    study, _ = Study.objects.get_or_create(
        study_instance_uid=parsed.study_uid, defaults=study_fields(ds)
    )
    series, _ = Series.objects.get_or_create(
        series_instance_uid=parsed.series_uid, defaults={"study": study, **_series_fields(ds)}
    )
    if series.study_id != study.pk:
        raise _Conflict(f"series {parsed.series_uid} belongs to another study")
    if series.modality and series.modality not in study.modalities:
        Study.objects.filter(pk=study.pk).update(modalities=[*study.modalities, series.modality])
    Instance.objects.create(
        series=series,
        sop_instance_uid=parsed.sop_instance_uid,
        sop_class_uid=parsed.sop_class_uid,
        instance_number=integer(ds, "InstanceNumber"),
        number_of_frames=max(integer(ds, "NumberOfFrames") or 1, 1),
        rows=integer(ds, "Rows"),
        columns=integer(ds, "Columns"),
        bits_allocated=integer(ds, "BitsAllocated"),
        transfer_syntax_uid=parsed.transfer_syntax_uid,
        file_path=file_path,
        file_size=size,
        header=header,
    )
    return study.pk


def study_fields(ds: Dataset) -> dict:
    return {
        "patient_id": text(ds, "PatientID"),
        "patient_name": text(ds, "PatientName", 324),
        "patient_birth_date": text(ds, "PatientBirthDate", 8),
        "patient_sex": text(ds, "PatientSex", 16),
        "study_date": dicom_date(text(ds, "StudyDate")),
        "study_time": text(ds, "StudyTime", 16),
        "accession_number": text(ds, "AccessionNumber"),
        "study_id": text(ds, "StudyID", 16),
        "study_description": text(ds, "StudyDescription", 256),
        "referring_physician_name": text(ds, "ReferringPhysicianName", 324),
    }


def _series_fields(ds: Dataset) -> dict:
    return {
        "modality": text(ds, "Modality", 16),
        "series_number": integer(ds, "SeriesNumber"),
        "series_description": text(ds, "SeriesDescription", 256),
        "body_part_examined": text(ds, "BodyPartExamined"),
        "series_date": dicom_date(text(ds, "SeriesDate")),
        "series_time": text(ds, "SeriesTime", 16),
    }
