"""A remote PACS over DICOMweb: searched with QIDO-RS, studies pulled in with WADO-RS and stored
like any upload (deduplicated, indexed, put in the chart)."""

import io
from collections.abc import Iterator
from dataclasses import dataclass

import requests
from dicomweb_client.api import DICOMwebClient
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from pydicom.dataset import Dataset

from imaging.access import may_add_images
from imaging.models import RemotePacs
from imaging.services.ingest import IngestReport, dicom_ingest
from imaging.uploads import IncomingFile, RejectedFile, Upload

ENV_KEY = "env"
TIMEOUT_SECONDS = 60
SEARCH_LIMIT = 100


class PacsUnavailable(Exception):
    """The PACS did not answer, or answered with an error."""


@dataclass(frozen=True)
class PacsTarget:
    key: str  # "env" for IMAGING_PACS_URL, else the RemotePacs pk
    name: str
    base_url: str
    username: str = ""
    password: str = ""


@dataclass(frozen=True)
class RemoteStudy:
    study_uid: str
    patient_id: str
    patient_name: str
    study_date: str
    modalities: str
    description: str
    accession_number: str
    number_of_instances: str


def pacs_targets() -> list[PacsTarget]:
    targets = [
        PacsTarget(str(p.pk), p.name, p.base_url, p.username, p.password)
        for p in RemotePacs.objects.filter(enabled=True).order_by("name")
    ]
    if settings.IMAGING_PACS_URL:
        targets.insert(0, PacsTarget(ENV_KEY, "PACS (IMAGING_PACS_URL)", settings.IMAGING_PACS_URL))
    return targets


def pacs_target(key: str) -> PacsTarget:
    for target in pacs_targets():
        if target.key == key:
            return target
    raise LookupError(f"no remote PACS {key!r}")


def pacs_client(target: PacsTarget) -> DICOMwebClient:
    session = requests.Session()
    if target.username:
        session.auth = (target.username, target.password)
    client = DICOMwebClient(
        url=target.base_url.rstrip("/"), session=session, timeout=TIMEOUT_SECONDS
    )
    client.set_http_retry_params(max_attempts=3, wait_exponential_multiplier=250)
    return client


def pacs_search(*, target: PacsTarget, filters: dict[str, str]) -> list[RemoteStudy]:
    """QIDO-RS studies; `filters` are DICOM keywords (PatientID, PatientName, StudyDate, ...)."""
    wanted = {k: v for k, v in filters.items() if v}
    fuzzy = "PatientName" in wanted
    if fuzzy and not wanted["PatientName"].endswith("*"):
        wanted["PatientName"] += "*"  # prefix matching: what fuzzy matching means to most PACS
    try:
        answers = pacs_client(target).search_for_studies(
            search_filters=wanted, limit=SEARCH_LIMIT, fields=["NumberOfStudyRelatedInstances"]
        )
    except (requests.RequestException, ValueError) as exc:
        raise PacsUnavailable(f"{target.name}: {exc}") from exc
    return [_remote_study(Dataset.from_json(answer)) for answer in answers]


def _remote_study(ds: Dataset) -> RemoteStudy:
    def value(keyword: str) -> str:
        found = ds.get(keyword, "")
        if not isinstance(found, str) and hasattr(found, "__iter__"):
            return "\\".join(str(v) for v in found)
        return str(found or "")

    return RemoteStudy(
        study_uid=value("StudyInstanceUID"),
        patient_id=value("PatientID"),
        patient_name=value("PatientName"),
        study_date=value("StudyDate"),
        modalities=value("ModalitiesInStudy"),
        description=value("StudyDescription"),
        accession_number=value("AccessionNumber"),
        number_of_instances=value("NumberOfStudyRelatedInstances"),
    )


def pacs_study_pull(
    *, target: PacsTarget, study_uid: str, acting_user: AbstractBaseUser
) -> IngestReport:
    """Retrieve every instance of the study (as stored there) and ingest it here."""
    if not may_add_images(acting_user):
        raise PermissionDenied("pulling studies in needs the right to document in charts")
    client = pacs_client(target)
    try:
        datasets = client.iter_study(study_uid, media_types=(("application/dicom", "*"),))
        return dicom_ingest(
            files=_as_files(datasets, target.name),
            acting_user=acting_user,
            source=f"PACS pull from {target.name}",
        )
    except requests.RequestException as exc:
        raise PacsUnavailable(f"{target.name}: {exc}") from exc


def _as_files(datasets: Iterator[Dataset], source: str) -> Iterator[Upload]:
    for number, dataset in enumerate(datasets, start=1):
        buffer = io.BytesIO()
        try:
            dataset.save_as(buffer, enforce_file_format=True)
        except Exception as exc:  # a data set pydicom cannot write back
            yield RejectedFile(f"{source} instance {number}", f"cannot be written ({exc})")
            continue
        yield IncomingFile(f"{source} instance {number}", buffer.getvalue())
