"""Bulk jobs: starting, running, cancelling and expiring exports; starting and running imports.
Views and the admin call these; Celery tasks (tasks.py) only pass a job id to the `*_run` ones."""

import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from fhirapi.bulk.exporter import ExportQuery, ExportStopped, export_write
from fhirapi.bulk.importer import Progress
from fhirapi.bulk.models import ExportJob, ImportJob, JobStatus
from fhirapi.bulk.parallel import default_workers, importer_for
from fhirapi.errors import Forbidden
from fhirapi.services import Actor
from fhirapi.smart.authentication import actor_grant, granted_actor
from fhirapi.smart.policy import AccessPolicy

logger = structlog.get_logger(__name__)

PROGRESS_EVERY = 1.0  # seconds between progress writes to a job row
# A running export holds a lease (its expires_at), renewed with each progress write; a lease run
# out means its worker died (killed, out of memory): the export is marked failed.
EXPORT_LEASE = timedelta(minutes=10)
WORKER_LOST = "the export stopped: its worker was lost (no progress for 10 minutes); start it again"
EXPORT_PERMISSION = "fhirbulk.add_exportjob"
IMPORT_PERMISSION = "fhirbulk.add_importjob"


@dataclass(frozen=True)
class ExportRequest:
    level: str
    request_url: str
    base_url: str
    types: tuple[str, ...] = ()
    since: datetime | None = None
    group_id: str = ""
    members: tuple[str, ...] = ()
    type_filters: dict[str, list[str]] | None = None


def export_directory(job: ExportJob) -> Path:
    return settings.FHIR_EXPORT_DIR / str(job.id)


def export_status_url(base_url: str, job: ExportJob) -> str:
    return f"{base_url}/bulk/export/{job.id}"


def import_status_url(base_url: str, job: ImportJob) -> str:
    return f"{base_url}/bulk/import/{job.id}"


# -- export ------------------------------------------------------------------------------------


def export_job_start(*, owner, actor: Actor, request: ExportRequest) -> ExportJob:
    """Record the export and who asks for it (`owner`, acting as `actor`: the job runs as
    them), and queue it once the job row is committed."""
    exports_expire()
    job = ExportJob.objects.create(
        owner=owner,
        grant=actor_grant(actor),
        request_url=request.request_url,
        base_url=request.base_url,
        level=request.level,
        group_id=request.group_id,
        types=list(request.types),
        since=request.since,
        members=list(request.members),
        type_filters=request.type_filters or {},
        transaction_time=timezone.now(),
    )
    from fhirapi.bulk.tasks import export_run

    transaction.on_commit(lambda: export_run.delay(str(job.id)))
    return job


def export_job_run(*, job_id: str) -> None:
    """Write the export's files; the job row shows progress and, at the end, the files."""
    started = ExportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, expires_at=timezone.now() + EXPORT_LEASE
    )
    if not started:
        return  # cancelled before it began, or already run
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    directory = export_directory(job)
    try:
        files = export_write(
            _export_query(job),
            directory,
            policy=_requester_policy(job),
            on_progress=_export_progress(job_id),
        )
    except ExportStopped:
        shutil.rmtree(directory, ignore_errors=True)
        return
    except Exception as exc:  # the job's boundary: whatever failed is recorded on the job
        logger.exception("export failed", job=job_id)
        _export_finish(job_id, status=JobStatus.FAILED, error=str(exc))
        shutil.rmtree(directory, ignore_errors=True)
        return
    output = [{"type": f.resource_type, "file": f.name, "count": f.count} for f in files]
    _export_finish(job_id, status=JobStatus.COMPLETED, output=output)


def export_job_cancel(*, job: ExportJob) -> None:
    """Stop a running export, or forget a finished one; its files are deleted."""
    ExportJob.objects.filter(pk=job.pk).delete()
    shutil.rmtree(export_directory(job), ignore_errors=True)


def exports_fail_stale(*, now: datetime | None = None) -> int:
    """Mark failed the running exports whose lease ran out (their worker died); their partial
    files are deleted, and the failure is kept as long as any finished export."""
    now = now or timezone.now()
    stale = list(ExportJob.objects.filter(status=JobStatus.RUNNING, expires_at__lt=now))
    for job in stale:
        shutil.rmtree(export_directory(job), ignore_errors=True)
    return ExportJob.objects.filter(
        pk__in=[job.pk for job in stale], status=JobStatus.RUNNING, expires_at__lt=now
    ).update(
        status=JobStatus.FAILED,
        error=WORKER_LOST,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.FHIR_EXPORT_RETENTION_HOURS),
    )


def exports_expire(*, now: datetime | None = None) -> int:
    """Delete the exports (rows and files) whose retention has passed."""
    exports_fail_stale(now=now)
    expired = list(
        ExportJob.objects.exclude(status=JobStatus.RUNNING).filter(
            expires_at__lt=now or timezone.now()
        )
    )
    for job in expired:
        shutil.rmtree(export_directory(job), ignore_errors=True)
    ExportJob.objects.filter(pk__in=[job.pk for job in expired]).delete()
    return len(expired)


def _requester_policy(job: ExportJob) -> AccessPolicy:
    """What the requester may search now, as their kick-off request could."""
    if not job.owner.is_active:
        raise Forbidden(f"{job.owner.get_username()} may no longer export: the account is inactive")
    return granted_actor(job.owner, job.grant).policy


def _export_query(job: ExportJob) -> ExportQuery:
    return ExportQuery(
        level=job.level,
        types=tuple(job.types),
        since=job.since,
        members=tuple(job.members),
        only_ids=type_filter_ids(job.type_filters) if job.type_filters else {},
    )


def type_filter_ids(filters: dict[str, list[str]]) -> dict[str, set[str]]:
    """The ids each type's `_typeFilter` queries match (any of them), by the search engine."""
    from fhirapi.services import FhirRepository

    repository = FhirRepository()
    return {
        resource_type: {
            stored.resource_id
            for query in queries
            for stored in repository.match(resource_type, query, limit=None)
        }
        for resource_type, queries in filters.items()
    }


def _export_progress(job_id: str):
    shown_at = 0.0

    def progress(done: int, resource_type: str) -> bool:
        nonlocal shown_at
        now = time.monotonic()
        if now - shown_at < PROGRESS_EVERY:
            return True
        shown_at = now
        still_running = ExportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            resources_done=done,
            current_type=resource_type,
            expires_at=timezone.now() + EXPORT_LEASE,
        )
        return bool(still_running)

    return progress


def _export_finish(job_id: str, *, status: str, **fields: Any) -> None:
    now = timezone.now()
    ExportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=status,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.FHIR_EXPORT_RETENTION_HOURS),
        resources_done=sum(item["count"] for item in fields.get("output", [])),
        **fields,
    )


# -- import ------------------------------------------------------------------------------------


def import_job_start(
    *,
    owner,
    paths: list[str] | None = None,
    upload: tuple[str, bytes] | None = None,
    request_url: str = "",
) -> ImportJob:
    """Record an import of server-side files or of an uploaded body, queued after commit."""
    job = ImportJob(owner=owner, paths=paths or [], request_url=request_url)
    if upload is not None:
        name, body = upload
        job.upload.save(name, ContentFile(body), save=False)
    job.save()
    import_job_queue(job=job)
    return job


def import_job_queue(*, job: ImportJob) -> None:
    from fhirapi.bulk.tasks import import_run

    transaction.on_commit(lambda: import_run.delay(str(job.id)))


def import_job_run(*, job_id: str) -> None:
    started = ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not started:
        return
    job = ImportJob.objects.get(pk=job_id)
    paths = [Path(path) for path in job.paths]
    if job.upload:
        paths.append(Path(job.upload.path))
    # Without a broker the task runs inside the web server's process: it is not forked.
    workers = 1 if settings.CELERY_TASK_ALWAYS_EAGER else default_workers()
    importer = importer_for(workers=workers, on_progress=_import_progress(job_id))
    try:
        results = importer.import_paths(paths)
    except Exception as exc:  # a bug, not bad data (files fail alone): record it on the job
        logger.exception("import failed", job=job_id)
        _import_finish(job_id, JobStatus.FAILED, message=str(exc))
        return
    failed = sum(1 for result in results if result.failure)
    _import_finish(
        job_id,
        JobStatus.COMPLETED if not failed else JobStatus.FAILED,
        results=[result.as_json() for result in results],
        resources_done=sum(result.resources for result in results),
        errors=sum(result.errors + (1 if result.failure else 0) for result in results),
        bytes_done=importer.progress.bytes_total,
        bytes_total=importer.progress.bytes_total,
        message=f"{len(results) - failed} of {len(results)} file(s) imported",
    )


def _import_progress(job_id: str):
    shown_at = 0.0

    def progress(state: Progress) -> None:
        nonlocal shown_at
        now = time.monotonic()
        if now - shown_at < PROGRESS_EVERY:
            return
        shown_at = now
        ImportJob.objects.filter(pk=job_id).update(
            bytes_total=state.bytes_total,
            bytes_done=state.bytes_done,
            resources_done=state.resources,
            errors=state.errors,
            current_file=state.current[-500:],
        )

    return progress


def _import_finish(job_id: str, status: str, **fields: Any) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=status, finished_at=timezone.now(), current_file="", **fields
    )
