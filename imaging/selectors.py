"""Reads for the imaging screens, each scoped to what the user may see."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Prefetch, QuerySet
from django.urls import reverse

from clinical.chart_access.selectors import chart_access_check
from imaging.access import may_add_images, may_view_images, study_for_user
from imaging.models import Instance, RemotePacs, Series, Study, StudyReconciliation


@dataclass(frozen=True)
class StudySummary:
    study_uid: str
    study_date: date | None
    description: str
    modalities: list[str]
    accession_number: str
    number_of_series: int
    number_of_instances: int
    viewer_url: str


def patient_studies(*, user: AbstractBaseUser, patient_id: str) -> list[StudySummary]:
    """The patient's studies, newest first; none when the user may not open the chart."""
    if (
        not may_view_images(user)
        or not chart_access_check(user=user, patient_id=patient_id).allowed
    ):
        return []
    studies = (
        Study.objects.filter(patient_fhir_id=patient_id)
        .annotate(series_count=Count("series", distinct=True))
        .annotate(instance_count=Count("series__instances"))
        .order_by(F("study_date").desc(nulls_last=True), "-pk")
    )
    return [
        StudySummary(
            study_uid=study.study_instance_uid,
            study_date=study.study_date,
            description=study.study_description,
            modalities=study.modalities,
            accession_number=study.accession_number,
            number_of_series=study.series_count,
            number_of_instances=study.instance_count,
            viewer_url=reverse("imaging:viewer", args=[study.study_instance_uid]),
        )
        for study in studies
    ]


@dataclass(frozen=True)
class ViewerStudy:
    study: Study
    series: list[Series]  # each with .viewer_instances: its images in order


def viewer_study(*, user: AbstractBaseUser, study_uid: str) -> ViewerStudy:
    study = study_for_user(user=user, study_uid=study_uid)
    images = Instance.objects.filter(rows__isnull=False).order_by("instance_number", "pk")
    series = list(
        study.series.order_by(F("series_number").asc(nulls_last=True), "pk").prefetch_related(
            Prefetch("instances", queryset=images, to_attr="viewer_instances")
        )
    )
    return ViewerStudy(study=study, series=series)


def reconciliation_queue(*, user: AbstractBaseUser) -> QuerySet[StudyReconciliation]:
    if not may_add_images(user):
        return StudyReconciliation.objects.none()
    return (
        StudyReconciliation.objects.filter(resolved_at=None)
        .select_related("study")
        .annotate(instance_count=Count("study__series__instances"))
        .order_by("opened_at")
    )


def pacs_choices(*, user: AbstractBaseUser) -> QuerySet[RemotePacs]:
    if not may_add_images(user):
        return RemotePacs.objects.none()
    return RemotePacs.objects.filter(enabled=True).order_by("name")
