"""Resolving the reconciliation queue: a person names the patient of an unmatched study."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clinical.chart_access.selectors import chart_access_check
from fhirapi.errors import ResourceGone, ResourceNotFound
from fhirapi.services import FhirRepository, user_actor
from imaging.access import may_add_images
from imaging.audit import study_reconcile_audit
from imaging.models import Study, StudyReconciliation
from imaging.services.fhir_link import imaging_study_write, reconciliation_close


@transaction.atomic
def study_assign_patient(
    *, reconciliation_pk: int, patient_id: str, acting_user: AbstractBaseUser
) -> Study:
    """Attach the queued study to Patient/<patient_id> and write its ImagingStudy."""
    if not may_add_images(acting_user):
        raise PermissionDenied("assigning studies to patients needs the right to document")
    item = (
        StudyReconciliation.objects.select_for_update()
        .select_related("study")
        .filter(pk=reconciliation_pk, resolved_at=None)
        .first()
    )
    if item is None:
        raise ValidationError("This study is no longer waiting for a patient.")
    repository = FhirRepository(actor=user_actor(acting_user))
    try:
        repository.read("Patient", patient_id)
    except (ResourceNotFound, ResourceGone):
        raise ValidationError(f"There is no Patient/{patient_id}.") from None
    if not chart_access_check(user=acting_user, patient_id=patient_id).allowed:
        raise PermissionDenied("you may not open this patient's chart")
    study = item.study
    study.patient_fhir_id = patient_id
    imaging_study_write(study=study, repository=repository)
    reconciliation_close(study=study, user=acting_user)
    study_reconcile_audit(user=acting_user, study=study)
    return study
