"""Celery tasks: each takes a job id and calls the service that does the work."""

from celery import shared_task

from fhirapi.bulk import services


@shared_task(name="fhirapi.bulk.tasks.export_run")
def export_run(job_id: str) -> None:
    services.export_job_run(job_id=job_id)


@shared_task(name="fhirapi.bulk.tasks.import_run")
def import_run(job_id: str) -> None:
    services.import_job_run(job_id=job_id)


@shared_task(name="fhirapi.bulk.tasks.exports_expire")
def exports_expire() -> int:
    return services.exports_expire()
