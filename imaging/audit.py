"""The audit trail of imaging: who looked at (or brought in) whose images, written through
fhirapi.audit's audit_record with the DICOM audit event codes (PS3.15 A.5)."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

from fhirapi.audit.events import DCM, AuditKind, Coding
from fhirapi.audit.services import audit_record
from imaging.models import Study

INSTANCES_ACCESSED = AuditKind(
    "dicom-instances-accessed",
    Coding(DCM, "110103", "DICOM Instances Accessed"),
    Coding(DCM, "110103", "DICOM Instances Accessed"),
    "R",
)
QUERY = AuditKind(
    "dicom-query", Coding(DCM, "110112", "Query"), Coding(DCM, "110112", "Query"), "E"
)
IMPORT = AuditKind(
    "dicom-import", Coding(DCM, "110107", "Import"), Coding(DCM, "110107", "Import"), "C"
)
RECONCILE = AuditKind(
    "dicom-reconcile",
    Coding(DCM, "110110", "Patient Record"),
    Coding(DCM, "110110", "Patient Record"),
    "U",
)


def image_access_audit(*, user: AbstractBaseUser, study: Study, description: str) -> None:
    """One record per user, study and kind of access within IMAGING_AUDIT_WINDOW_SECONDS: a
    viewer fetches hundreds of frames for one look at a study."""
    key = f"imaging-audit:{user.pk}:{study.pk}:{description.split(' ')[0]}"
    window = settings.IMAGING_AUDIT_WINDOW_SECONDS
    if window and not cache.add(key, 1, timeout=window):
        return
    audit_record(
        kind=INSTANCES_ACCESSED,
        username=user.get_username(),
        patient_id=study.patient_fhir_id,
        resource_type="ImagingStudy",
        resource_id=study.imaging_study_fhir_id,
        description=f"{description} (study {study.study_instance_uid})",
    )


def image_query_audit(*, user: AbstractBaseUser, level: str, query: str) -> None:
    audit_record(
        kind=QUERY,
        username=user.get_username(),
        resource_type="ImagingStudy",
        query=query,
        description=f"QIDO-RS search for {level}",
    )


def image_import_audit(*, user: AbstractBaseUser, study: Study, count: int, source: str) -> None:
    audit_record(
        kind=IMPORT,
        username=user.get_username(),
        patient_id=study.patient_fhir_id,
        resource_type="ImagingStudy",
        resource_id=study.imaging_study_fhir_id,
        description=f"{count} DICOM instance(s) stored by {source} "
        f"(study {study.study_instance_uid})",
    )


def study_reconcile_audit(*, user: AbstractBaseUser, study: Study) -> None:
    audit_record(
        kind=RECONCILE,
        username=user.get_username(),
        patient_id=study.patient_fhir_id,
        resource_type="ImagingStudy",
        resource_id=study.imaging_study_fhir_id,
        description=f"unmatched study {study.study_instance_uid} (PatientID "
        f"{study.patient_id!r}) assigned to Patient/{study.patient_fhir_id}",
    )
