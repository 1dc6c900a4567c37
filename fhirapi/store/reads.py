"""Reads of the resource tables: current versions, past versions, history."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import connection

from fhirapi.errors import ResourceGone, ResourceNotFound
from fhirapi.store.models import ResourceRecord, ResourceVersion
from fhirapi.store.values import StoredResource
from fhirapi.store.writes import stored_from

_CURRENT_VERSION = (
    f"SELECT version_id, last_updated, deleted, content FROM {ResourceRecord._meta.db_table}"
    " WHERE resource_type = %s AND resource_id = %s"
)


def record_read(resource_type: str, resource_id: str) -> StoredResource:
    # The hottest query of all, in plain SQL: building it with the ORM costs more than running it.
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_VERSION, [resource_type, resource_id])
        row = cursor.fetchone()
    if row is None:
        raise ResourceNotFound(f"{resource_type}/{resource_id} is not known")
    version_id, last_updated, deleted, content = row
    if deleted:
        raise ResourceGone(f"{resource_type}/{resource_id} was deleted (version {version_id})")
    return StoredResource(
        resource_type=resource_type,
        resource_id=resource_id,
        version_id=version_id,
        last_updated=last_updated,
        deleted=False,
        content=orjson.loads(content),
    )


def version_read(resource_type: str, resource_id: str, version_id: int) -> StoredResource:
    version = ResourceVersion.objects.filter(
        resource_type=resource_type, resource_id=resource_id, version_id=version_id
    ).first()
    if version is None:
        if not ResourceRecord.objects.filter(
            resource_type=resource_type, resource_id=resource_id
        ).exists():
            raise ResourceNotFound(f"{resource_type}/{resource_id} is not known")
        raise ResourceNotFound(f"{resource_type}/{resource_id} has no version {version_id}")
    if version.deleted:
        raise ResourceGone(f"version {version_id} of {resource_type}/{resource_id} is a deletion")
    return stored_from(version)


def current_exists(references: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (type, id) pairs name a current, undeleted resource."""
    if not references:
        return set()
    found: set[tuple[str, str]] = set()
    by_type: dict[str, list[str]] = {}
    for resource_type, resource_id in references:
        by_type.setdefault(resource_type, []).append(resource_id)
    for resource_type, ids in by_type.items():
        rows = ResourceRecord.objects.filter(
            resource_type=resource_type, resource_id__in=ids, deleted=False
        ).values_list("resource_id", flat=True)
        found.update((resource_type, resource_id) for resource_id in rows)
    return found


def meta_summary(resource_type: str | None) -> dict[str, Any]:
    """Every distinct tag, security label and profile in use (on one type, or everywhere)."""
    table = ResourceRecord._meta.db_table
    type_filter = "AND resource_type = %s" if resource_type else ""
    summary: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name in ("tag", "security", "profile"):
            cursor.execute(
                f"SELECT DISTINCT jsonb_array_elements(content->'meta'->%s)::text FROM {table} "
                f"WHERE NOT deleted AND jsonb_typeof(content->'meta'->%s) = 'array' {type_filter}",
                [name, name, *([resource_type] if resource_type else [])],
            )
            values = [json.loads(row[0]) for row in cursor.fetchall()]
            if values:
                summary[name] = sorted(values, key=json.dumps)
    return summary


@dataclass(frozen=True)
class HistoryQuery:
    resource_type: str | None = None
    resource_id: str | None = None
    since: datetime | None = None
    at: datetime | None = None  # the versions current at this moment
    until: datetime | None = None  # fixes the page set: versions written later are not shown
    count: int = 50
    offset: int = 0


@dataclass(frozen=True)
class HistoryPage:
    versions: list[StoredResource]
    methods: list[str]
    total: int


def history_page(query: HistoryQuery) -> HistoryPage:
    versions = ResourceVersion.objects.all()
    if query.resource_type:
        versions = versions.filter(resource_type=query.resource_type)
    if query.resource_id:
        versions = versions.filter(resource_id=query.resource_id)
        if not versions.exists():
            raise ResourceNotFound(f"{query.resource_type}/{query.resource_id} is not known")
    if query.since:
        versions = versions.filter(last_updated__gte=query.since)
    if query.until:
        versions = versions.filter(last_updated__lte=query.until)
    if query.at:
        versions = _current_at(versions, query.at)
    total = versions.count()
    rows = list(
        versions.order_by("-last_updated", "-id")[query.offset : query.offset + query.count]
    )
    return HistoryPage(
        versions=[stored_from(row) for row in rows],
        methods=[row.method for row in rows],
        total=total,
    )


def _current_at(versions, moment: datetime):
    """Keep the version of each resource that was current at `moment` (the spec's `_at`)."""
    latest_ids = (
        versions.filter(last_updated__lte=moment)
        .order_by("resource_type", "resource_id", "-version_id")
        .distinct("resource_type", "resource_id")
        .values("id")
    )
    return ResourceVersion.objects.filter(id__in=latest_ids)


EXACT_COUNT_LIMIT = 1_000_000  # rows of the current-version table up to which counts are exact


@dataclass(frozen=True)
class TypeCounts:
    counts: dict[str, int]
    estimated: bool


def type_counts() -> TypeCounts:
    """Current resources per type: counted while the table is small, else estimated from the
    planner's statistics of `resource_type` (which also count deleted tombstones)."""
    table = ResourceRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        (rows,) = cursor.fetchone()
        if rows < EXACT_COUNT_LIMIT:
            cursor.execute(
                f"SELECT resource_type, count(*) FROM {table} WHERE NOT deleted "
                "GROUP BY resource_type"
            )
            return TypeCounts(dict(cursor.fetchall()), estimated=False)
        cursor.execute(
            "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats "
            "WHERE tablename = %s AND attname = 'resource_type'",
            [table],
        )
        stats = cursor.fetchone()
    values, frequencies = stats or ([], [])
    counts = {value: round(rows * freq) for value, freq in zip(values, frequencies, strict=True)}
    return TypeCounts(counts, estimated=True)
