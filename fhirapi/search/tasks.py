"""Celery tasks of the search package (eager without Redis)."""

from celery import shared_task

from fhirapi.search.reindex import reindex_run


@shared_task(name="fhirapi.search.tasks.reindex")
def reindex(job: str) -> None:
    reindex_run(job)
