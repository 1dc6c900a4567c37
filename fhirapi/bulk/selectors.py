"""Reads of bulk jobs, scoped to their owner: another user's job is as unknown as a missing one,
and so is an expired export."""

from pathlib import Path
from uuid import UUID

from django.db.models import Q
from django.utils import timezone

from fhirapi.bulk.models import ExportJob, ImportJob, JobStatus
from fhirapi.bulk.services import export_directory
from fhirapi.errors import ResourceNotFound


def export_job_for_user(*, user, job_id: UUID) -> ExportJob:
    job = (
        ExportJob.objects.filter(pk=job_id, owner=user)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gte=timezone.now()))
        .first()
    )
    if job is None:
        raise ResourceNotFound(f"no export {job_id} (unknown, expired or cancelled)")
    return job


def export_file_for_user(*, user, job_id: UUID, name: str) -> Path:
    job = export_job_for_user(user=user, job_id=job_id)
    files = {item["file"] for item in job.output} if job.status == JobStatus.COMPLETED else set()
    path = export_directory(job) / name
    if name not in files or not path.is_file():
        raise ResourceNotFound(f"export {job_id} has no file {name!r}")
    return path


def import_job_for_user(*, user, job_id: UUID) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id, owner=user).first()
    if job is None:
        raise ResourceNotFound(f"no import {job_id}")
    return job
