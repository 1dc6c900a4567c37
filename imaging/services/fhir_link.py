"""A study in the chart: its Patient matched on PatientID (Patient.identifier), its order matched on
AccessionNumber (ServiceRequest.identifier), and its ImagingStudy written through FhirRepository.
A study whose patient is not certain waits in the reconciliation queue instead."""

from dataclasses import dataclass
from urllib.parse import urlencode

import structlog
from django.db import transaction
from django.utils import timezone

from fhirapi.errors import ResourceGone, ResourceNotFound
from fhirapi.services import FhirRepository
from imaging.fhir.imaging_study import ENDPOINT_ID, endpoint_resource, imaging_study_resource
from imaging.models import Instance, Study, StudyReconciliation

logger = structlog.get_logger(__name__)
Reason = StudyReconciliation.Reason


@dataclass(frozen=True)
class PatientMatch:
    patient_id: str = ""
    problem: str = ""  # a StudyReconciliation.Reason when no single patient is certain


def token_query(parameter: str, value: str) -> str:
    """A search query for a token value of any system (commas, bars, dollars escaped)."""
    escaped = value.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|")
    return urlencode({parameter: escaped.replace("$", "\\$")})


def patient_match(*, study: Study, repository: FhirRepository) -> PatientMatch:
    if not study.patient_id:
        return PatientMatch(problem=Reason.NO_PATIENT_ID)
    matches = repository.match("Patient", token_query("identifier", study.patient_id))
    if not matches:
        return PatientMatch(problem=Reason.NO_MATCH)
    if len(matches) > 1:
        return PatientMatch(problem=Reason.AMBIGUOUS)
    patient = matches[0]
    if not names_agree(study.patient_name, patient.content or {}):
        return PatientMatch(problem=Reason.NAME_DIFFERS)
    return PatientMatch(patient_id=patient.resource_id)


def names_agree(dicom_name: str, patient: dict) -> bool:
    """The DICOM family name is one of the Patient's family names (either side blank: agree)."""
    family = _fold(dicom_name.split("=")[0].split("^")[0])
    known = {_fold(name.get("family", "")) for name in patient.get("name", [])} - {""}
    return not family or not known or family in known


def _fold(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def order_match(*, study: Study, repository: FhirRepository) -> str:
    """The ServiceRequest whose identifier is the accession number, for this patient; else ''."""
    if not study.accession_number:
        return ""
    matches = repository.match("ServiceRequest", token_query("identifier", study.accession_number))
    if len(matches) != 1:
        return ""
    subject = (matches[0].content or {}).get("subject", {}).get("reference", "")
    if subject.removeprefix("Patient/") != study.patient_fhir_id:
        logger.warning(
            "imaging.order_other_patient",
            study=study.study_instance_uid,
            accession=study.accession_number,
        )
        return ""
    return matches[0].resource_id


@transaction.atomic
def study_link_fhir(*, study_pk: int, repository: FhirRepository) -> Study:
    """Bring the study's ImagingStudy up to date, or queue the study for reconciliation."""
    study = Study.objects.select_for_update().get(pk=study_pk)
    if not study.patient_fhir_id:
        match = patient_match(study=study, repository=repository)
        if not match.patient_id:
            reconciliation_open(study=study, reason=match.problem)
            return study
        study.patient_fhir_id = match.patient_id
    imaging_study_write(study=study, repository=repository)
    return study


def reconciliation_open(*, study: Study, reason: str) -> StudyReconciliation:
    item, created = StudyReconciliation.objects.get_or_create(
        study=study, defaults={"reason": reason}
    )
    if not created and (item.resolved_at or item.reason != reason):
        item.reason, item.resolved_at, item.resolved_by = reason, None, None
        item.save(update_fields=["reason", "resolved_at", "resolved_by"])
    return item


def reconciliation_close(*, study: Study, user) -> None:
    StudyReconciliation.objects.filter(study=study, resolved_at=None).update(
        resolved_at=timezone.now(), resolved_by=user
    )


def imaging_study_write(*, study: Study, repository: FhirRepository) -> None:
    """Create or update the study's ImagingStudy (the patient must be set)."""
    endpoint_ensure(repository)
    if not study.service_request_fhir_id:
        study.service_request_fhir_id = order_match(study=study, repository=repository)
    series = list(study.series.order_by("series_number", "series_instance_uid"))
    instances: dict[int, list[Instance]] = {}
    for instance in Instance.objects.filter(series__study=study).order_by(
        "instance_number", "sop_instance_uid"
    ):
        instances.setdefault(instance.series_id, []).append(instance)
    resource = imaging_study_resource(study, series, instances)
    if study.imaging_study_fhir_id:
        resource["id"] = study.imaging_study_fhir_id
        repository.update("ImagingStudy", study.imaging_study_fhir_id, resource)
    else:
        study.imaging_study_fhir_id = repository.create(resource).stored.resource_id
    study.save(
        update_fields=[
            "patient_fhir_id",
            "imaging_study_fhir_id",
            "service_request_fhir_id",
            "updated_at",
        ]
    )


def endpoint_ensure(repository: FhirRepository) -> None:
    """Our DICOMweb Endpoint, which every ImagingStudy refers to; rewritten if its address moves."""
    wanted = endpoint_resource()
    try:
        current = repository.read("Endpoint", ENDPOINT_ID).content or {}
    except (ResourceNotFound, ResourceGone):
        current = {}
    if current.get("address") != wanted["address"]:
        repository.update("Endpoint", ENDPOINT_ID, wanted)
