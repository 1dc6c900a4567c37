"""The demo population's images: the DICOM files its ImagingStudy resources name by study UID
(fhirapi/data/demo-dicom) are stored and indexed through dicom_ingest, like an upload, and filed
under the patient of that ImagingStudy (the files carry other patients' ids, as samples do), so
the demo chart's Imaging tab lists them and the viewer shows their images."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from fhirapi.demo.catalogue import DEMO_DICOM_DIR
from fhirapi.services import FhirRepository
from fhirapi.store.values import StoredResource
from imaging.dicom_files import ParsedInstance, dicom_parse
from imaging.models import Instance, Study
from imaging.services.fhir_link import token_query
from imaging.services.ingest import IngestReport, dicom_ingest, study_fields
from imaging.uploads import IncomingFile

DEMO_SOURCE = "demo population"


def demo_images_ensure(*, acting_user: AbstractBaseUser) -> IngestReport:
    """Store each demo DICOM file whose study a demo ImagingStudy names and the imaging store
    does not hold yet; files of studies no ImagingStudy names are left alone."""
    files = []
    repository = FhirRepository()
    for path in sorted(DEMO_DICOM_DIR.glob("*.dcm")):
        data = path.read_bytes()
        parsed = dicom_parse(data)
        if Instance.objects.filter(sop_instance_uid=parsed.sop_instance_uid).exists():
            continue
        query = token_query("identifier", f"urn:oid:{parsed.study_uid}")
        matches = repository.match("ImagingStudy", query)
        if len(matches) == 1 and _study_file_under(parsed, matches[0]):
            files.append(IncomingFile(path.name, data))
    if not files:
        return IngestReport()
    return dicom_ingest(files=files, acting_user=acting_user, source=DEMO_SOURCE)


@transaction.atomic
def _study_file_under(parsed: ParsedInstance, imaging_study: StoredResource) -> bool:
    """Index the study under the ImagingStudy's patient, so that ingesting it updates that
    ImagingStudy instead of asking someone to reconcile it; False when it is filed elsewhere."""
    subject = ((imaging_study.content or {}).get("subject") or {}).get("reference", "")
    if not subject.startswith("Patient/"):
        return False
    study, _ = Study.objects.get_or_create(
        study_instance_uid=parsed.study_uid, defaults=study_fields(parsed.dataset)
    )
    if study.patient_fhir_id and study.patient_fhir_id != subject.removeprefix("Patient/"):
        return False
    study.patient_fhir_id = subject.removeprefix("Patient/")
    study.imaging_study_fhir_id = imaging_study.resource_id
    study.save(update_fields=["patient_fhir_id", "imaging_study_fhir_id", "updated_at"])
    return True
