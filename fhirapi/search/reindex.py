"""Reindexing stored resources (after SearchParameters were added or changed): a job walks the
current records of the chosen types (all types by default) in batches, in record order, and
rebuilds their index rows. Progress lives in the cache under the job id, for the status URL."""

import uuid
from typing import TypedDict

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from fhirapi.search.custom_params import sync_custom_parameters
from fhirapi.search.indexing import index_records, unindex_record
from fhirapi.store.models import ResourceRecord

BATCH_SIZE = 500
JOB_TIMEOUT = 7 * 24 * 3600


class ReindexStatus(TypedDict):
    job: str
    status: str  # queued, running, completed or failed
    resource_types: list[str]
    total: int
    processed: int


def reindex_create(*, resource_types: list[str]) -> ReindexStatus:
    """Record a new job (queued) with the number of records it will walk."""
    status = ReindexStatus(
        job=uuid.uuid4().hex,
        status="queued",
        resource_types=resource_types,
        total=_records(resource_types).count(),
        processed=0,
    )
    _save(status)
    return status


def reindex_status(job: str) -> ReindexStatus | None:
    return cache.get(_key(job))


def reindex_run(job: str) -> None:
    status = reindex_status(job)
    if status is None:
        return
    sync_custom_parameters(force=True)
    status["status"] = "running"
    _save(status)
    last_id = 0
    try:
        while batch := list(_records(status["resource_types"]).filter(id__gt=last_id)[:BATCH_SIZE]):
            _reindex_batch(batch)
            last_id = batch[-1].id
            status["processed"] += len(batch)
            _save(status)
    except Exception:
        status["status"] = "failed"
        _save(status)
        raise
    status["status"] = "completed"
    _save(status)


@transaction.atomic
def _reindex_batch(records: list[ResourceRecord]) -> None:
    for record in records:
        unindex_record(record.pk)
    index_records(records)


def _records(resource_types: list[str]) -> QuerySet[ResourceRecord]:
    records = ResourceRecord.objects.filter(deleted=False).order_by("id")
    return records.filter(resource_type__in=resource_types) if resource_types else records


def _save(status: ReindexStatus) -> None:
    cache.set(_key(status["job"]), status, JOB_TIMEOUT)


def _key(job: str) -> str:
    return f"fhir-reindex:{job}"
