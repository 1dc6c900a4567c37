"""Versioned writes. Every function here runs inside the caller's transaction and keeps the
current-version row and the version history in step; callers wrap them in transaction.atomic."""

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fhirapi.errors import ResourceNotFound, VersionConflict
from fhirapi.search.indexing import index_records, reindex_record, unindex_record
from fhirapi.store.bulk_copy import record_versions_copy, records_copy
from fhirapi.store.compartments import resource_patient_ids
from fhirapi.store.events import ResourceChanged, announce_on_commit
from fhirapi.store.models import ResourceRecord, ResourceVersion
from fhirapi.store.values import StoredResource, WriteOutcome

ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def new_resource_id() -> str:
    return str(uuid.uuid4())


def stamp(resource: dict[str, Any], resource_id: str, version_id: int, now: datetime) -> dict:
    """The resource as stored: server id, meta.versionId and meta.lastUpdated, in FHIR order."""
    meta = {
        k: v
        for k, v in (resource.get("meta") or {}).items()
        if k not in ("versionId", "lastUpdated")
    }
    # The first three keys keep their places when `resource` (merged in C) holds them too.
    stamped = {"resourceType": resource["resourceType"], "id": None, "meta": None, **resource}
    stamped["id"] = resource_id
    stamped["meta"] = {"versionId": str(version_id), "lastUpdated": format_instant(now), **meta}
    return stamped


def now_in_milliseconds() -> datetime:
    """Now, at the precision meta.lastUpdated shows, so the stored time and the shown one agree."""
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stored_from(row: ResourceRecord | ResourceVersion) -> StoredResource:
    return StoredResource(
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        version_id=row.version_id,
        last_updated=row.last_updated,
        deleted=row.deleted,
        content=row.content,
    )


def record_insert(resource: dict[str, Any], resource_id: str) -> WriteOutcome:
    """Insert version 1 of a new resource. Raises IntegrityError if the id is taken."""
    now = now_in_milliseconds()
    content = stamp(resource, resource_id, 1, now)
    record = ResourceRecord.objects.create(
        resource_type=resource["resourceType"],
        resource_id=resource_id,
        version_id=1,
        last_updated=now,
        content=content,
    )
    _version_insert(record, ResourceVersion.Method.CREATE)
    index_records([record])
    patients = resource_patient_ids(content)
    announce_on_commit(ResourceChanged(record.resource_type, resource_id, 1, "create", patients))
    return WriteOutcome(stored_from(record), created=True)


def records_insert_many(resources: list[tuple[dict[str, Any], str]]) -> list[WriteOutcome]:
    """Insert version 1 of many new resources by COPY (the bulk path of transactions)."""
    now = now_in_milliseconds()
    records = [
        ResourceRecord(
            resource_type=resource["resourceType"],
            resource_id=resource_id,
            version_id=1,
            last_updated=now,
            content=stamp(resource, resource_id, 1, now),
        )
        for resource, resource_id in resources
    ]
    records_copy(records)
    index_records(records)
    record_versions_copy(records, method=ResourceVersion.Method.CREATE)
    for record in records:
        patients = resource_patient_ids(record.content)
        announce_on_commit(
            ResourceChanged(record.resource_type, record.resource_id, 1, "create", patients)
        )
    return [WriteOutcome(stored_from(record), created=True) for record in records]


def record_for_update(resource_type: str, resource_id: str) -> ResourceRecord | None:
    return (
        ResourceRecord.objects.select_for_update()
        .filter(resource_type=resource_type, resource_id=resource_id)
        .first()
    )


def record_write(
    resource: dict[str, Any],
    resource_id: str,
    *,
    if_match: int | None = None,
    method: str = ResourceVersion.Method.UPDATE,
) -> WriteOutcome:
    """Write a new current version (update-as-create when the id is new), honouring If-Match."""
    record = record_for_update(resource["resourceType"], resource_id)
    if record is None:
        if if_match is not None:
            raise VersionConflict(
                f"{resource['resourceType']}/{resource_id} does not exist; If-Match cannot hold"
            )
        try:
            with transaction.atomic():
                return record_insert(resource, resource_id)
        except IntegrityError:  # created by a concurrent request since our SELECT: update it
            record = record_for_update(resource["resourceType"], resource_id)
    _check_version(record, if_match)
    return _record_replace(record, resource, method)


def record_delete(
    resource_type: str, resource_id: str, *, if_match: int | None = None
) -> WriteOutcome:
    record = record_for_update(resource_type, resource_id)
    if record is None:
        raise ResourceNotFound(f"{resource_type}/{resource_id} is not known", expression=())
    _check_version(record, if_match)
    if record.deleted:
        return WriteOutcome(stored_from(record), changed=False)
    patients = resource_patient_ids(record.content)
    record.version_id += 1
    record.last_updated = now_in_milliseconds()
    record.deleted = True
    record.content = None
    record.save(update_fields=["version_id", "last_updated", "deleted", "content"])
    _version_insert(record, ResourceVersion.Method.DELETE)
    unindex_record(record.pk)
    announce_on_commit(
        ResourceChanged(resource_type, resource_id, record.version_id, "delete", patients)
    )
    return WriteOutcome(stored_from(record))


def record_meta_change(
    resource_type: str, resource_id: str, change: Callable[[dict], dict]
) -> dict[str, Any]:
    record = record_for_update(resource_type, resource_id)
    if record is None or record.deleted:
        raise ResourceNotFound(f"{resource_type}/{resource_id} is not known")
    meta = change(dict(record.content.get("meta", {})))
    record.content = {**record.content, "meta": meta}
    record.save(update_fields=["content"])
    reindex_record(record)
    ResourceVersion.objects.filter(record=record, version_id=record.version_id).update(
        content=record.content
    )
    return meta


def _record_replace(record: ResourceRecord, resource: dict[str, Any], method: str) -> WriteOutcome:
    now = max(now_in_milliseconds(), record.last_updated)
    before = resource_patient_ids(record.content)
    record.version_id += 1
    record.last_updated = now
    record.deleted = False
    record.content = stamp(resource, record.resource_id, record.version_id, now)
    record.save(update_fields=["version_id", "last_updated", "deleted", "content"])
    _version_insert(record, method)
    reindex_record(record)
    after = resource_patient_ids(record.content)
    patients = after if before == after else tuple(sorted({*before, *after}))
    announce_on_commit(
        ResourceChanged(
            record.resource_type, record.resource_id, record.version_id, "update", patients
        )
    )
    return WriteOutcome(stored_from(record))


def _check_version(record: ResourceRecord, if_match: int | None) -> None:
    if if_match is not None and if_match != record.version_id:
        raise VersionConflict(
            f"{record.resource_type}/{record.resource_id} is at version {record.version_id}, "
            f"not {if_match} (If-Match)"
        )


def _version_insert(record: ResourceRecord, method: str) -> None:
    _version_of(record, method).save(force_insert=True)


def _version_of(record: ResourceRecord, method: str) -> ResourceVersion:
    return ResourceVersion(
        record=record,
        resource_type=record.resource_type,
        resource_id=record.resource_id,
        version_id=record.version_id,
        last_updated=record.last_updated,
        method=method,
        deleted=record.deleted,
        content=record.content,
    )
