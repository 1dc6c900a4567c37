"""Reads of the resource table for the bulk paths: current contents by id (to tell new, changed
and unchanged resources apart on import), identifier look-ups, and keyset pages of current
resources as JSON text (export). Writes never happen here: they go through FhirRepository."""

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson
from django.db import connection
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from fhirapi.search.models import CompartmentIndex
from fhirapi.search.sql import RECORDS, Sql
from fhirapi.store.models import ResourceRecord

Key = tuple[str, str]  # (resource type, id)
DELETED = None  # the content of a tombstone


def current_contents(keys: Iterable[Key]) -> dict[Key, dict[str, Any] | None]:
    """The current content of each (type, id) the store knows; None for a deleted one."""
    types, ids = [], []
    for resource_type, resource_id in keys:
        types.append(resource_type)
        ids.append(resource_id)
    if not types:
        return {}
    # One query for a whole Bundle or chunk: the keys joined to the table on its unique index.
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_CONTENTS, [types, ids])
        rows = cursor.fetchall()
    return {  # orjson parses the text ~4x faster than json
        (resource_type, resource_id): DELETED if deleted else orjson.loads(text)
        for resource_type, resource_id, deleted, text in rows
    }


_CURRENT_CONTENTS = (
    "SELECT r.resource_type, r.resource_id, r.deleted, r.content"
    " FROM unnest(%s::text[], %s::text[]) AS k(resource_type, resource_id)"
    f" JOIN {ResourceRecord._meta.db_table} r"
    " ON r.resource_type = k.resource_type AND r.resource_id = k.resource_id"
)


def ids_with_identifier(resource_type: str, system: str | None, value: str) -> list[str]:
    """Current resources of the type with that identifier (at most two: enough to tell)."""
    wanted = {"value": value} if system is None else {"system": system, "value": value}
    return list(
        ResourceRecord.objects.filter(
            resource_type=resource_type, deleted=False, content__identifier__contains=[wanted]
        ).values_list("resource_id", flat=True)[:2]
    )


def store_is_empty() -> bool:
    return not ResourceRecord.objects.filter(deleted=False).exists()


def stored_types() -> list[str]:
    return sorted(
        ResourceRecord.objects.filter(deleted=False)
        .values_list("resource_type", flat=True)
        .distinct()
        .order_by()
    )


def current_json_pages(
    resource_type: str,
    *,
    since: datetime | None = None,
    compartment_of: list[str] | None = None,
    in_any_compartment: bool = False,
    only_ids: set[str] | None = None,
    visible: Sql | None = None,
    page_size: int = 2000,
) -> Iterator[list[tuple[str, str]]]:
    """Pages of (id, JSON text) of the current resources of a type, in id order (keyset: each
    page one indexed query, memory bounded by the page). `compartment_of`: only resources in
    those Patients' compartments; `in_any_compartment`: only resources in some Patient's;
    `visible`: only the records (alias `r`) this search condition finds."""
    rows = ResourceRecord.objects.filter(resource_type=resource_type, deleted=False)
    if visible is not None:
        found = f"SELECT r.id FROM {RECORDS} r WHERE {visible.text}"
        rows = rows.filter(pk__in=RawSQL(found, visible.params))
    if since is not None:
        rows = rows.filter(last_updated__gt=since)
    if compartment_of is not None:
        members = CompartmentIndex.objects.filter(
            record=OuterRef("pk"), patient_id__in=compartment_of
        )
        rows = rows.filter(Exists(members))
    elif in_any_compartment:
        rows = rows.filter(Exists(CompartmentIndex.objects.filter(record=OuterRef("pk"))))
    if only_ids is not None:
        rows = rows.filter(resource_id__in=sorted(only_ids))
    rows = rows.annotate(text=Cast("content", TextField())).order_by("resource_id")
    after = Q()
    while True:
        page = list(rows.filter(after).values_list("resource_id", "text")[:page_size])
        if not page:
            return
        yield page
        after = Q(resource_id__gt=page[-1][0])
