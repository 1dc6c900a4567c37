"""Celery tasks: each takes a job id and calls the service that does the work."""

import structlog
from celery import shared_task
from django.conf import settings

from fhirapi.bulk import services

logger = structlog.get_logger(__name__)


@shared_task(name="fhirapi.bulk.tasks.export_run")
def export_run(job_id: str) -> None:
    services.export_job_run(job_id=job_id)


@shared_task(name="fhirapi.bulk.tasks.import_run")
def import_run(job_id: str) -> None:
    services.import_job_run(job_id=job_id)


@shared_task(name="fhirapi.bulk.tasks.exports_expire")
def exports_expire() -> int:
    removed = services.exports_expire()
    logger.info(
        "retention purge",
        kind="expired exports",
        removed=removed,
        retention_hours=settings.FHIR_EXPORT_RETENTION_HOURS,
    )
    return removed
