"""Who may see which images: a clinical role (clinical.view_chart) to see any, and the chart rules
of clinical/chart_access for each patient (a restricted chart's studies only for its care team or
after breaking the glass). Studies not yet matched to a patient belong to no chart."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from clinical.chart_access.models import RestrictedChart
from clinical.chart_access.selectors import ChartDecision, chart_access_check
from clinical.roles import EDIT_CHART, VIEW_CHART
from imaging.models import Study

User = AbstractBaseUser | AnonymousUser


def may_view_images(user: User) -> bool:
    return user.is_authenticated and user.has_perm(VIEW_CHART)


def may_add_images(user: User) -> bool:
    """Uploading, reconciling and pulling from a PACS put images in charts: documenting."""
    return user.is_authenticated and user.has_perm(EDIT_CHART)


def hidden_patient_ids(user: User) -> list[str]:
    """The restricted charts this user may not open now (restricted charts are few)."""
    return [
        patient_id
        for patient_id in RestrictedChart.objects.values_list("patient_id", flat=True)
        if not chart_access_check(user=user, patient_id=patient_id).allowed
    ]


def visible_studies(user: User) -> QuerySet[Study]:
    if not may_view_images(user):
        return Study.objects.none()
    return Study.objects.exclude(patient_fhir_id__in=hidden_patient_ids(user))


def study_for_user(*, user: User, study_uid: str) -> Study:
    """The study, if this user may see it: Http404 when unknown, PermissionDenied otherwise."""
    if not may_view_images(user):
        raise PermissionDenied("viewing images needs a clinical role")
    study = Study.objects.filter(study_instance_uid=study_uid).first()
    if study is None:
        raise Http404(f"study {study_uid} is not stored here")
    if study.patient_fhir_id:
        access = chart_access_check(user=user, patient_id=study.patient_fhir_id)
        if access.decision == ChartDecision.NEEDS_GLASS:
            raise PermissionDenied("a restricted chart: break the glass to see its images")
        if not access.allowed:
            raise PermissionDenied("you may not open this patient's chart")
    return study
